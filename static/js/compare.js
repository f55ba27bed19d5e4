// Before/after compare: a wipe driven by a range input (so it works with the keyboard and
// screen readers) plus a side-by-side mode. No dependencies.
(function () {
  "use strict";

  function setup(root) {
    var stage = root.querySelector("[data-compare-stage]");
    var range = root.querySelector("[data-compare-range]");
    var side = root.querySelector("[data-compare-side]");
    if (!stage || !range) return;

    function apply() {
      stage.style.setProperty("--split", range.value + "%");
      range.setAttribute("aria-valuetext", range.value + "% before");
    }
    range.addEventListener("input", apply);
    apply();

    // Dragging on the picture moves the wipe too; the range input stays the source of truth.
    var dragging = false;
    function moveTo(clientX) {
      var box = stage.getBoundingClientRect();
      if (!box.width) return;
      var pct = Math.round(((clientX - box.left) / box.width) * 100);
      range.value = String(Math.max(0, Math.min(100, pct)));
      apply();
    }
    // Pressing on a picture would start the browser's own image drag and cancel ours.
    stage.addEventListener("dragstart", function (event) { event.preventDefault(); });
    stage.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      dragging = true;
      stage.setPointerCapture(event.pointerId);
      moveTo(event.clientX);
    });
    stage.addEventListener("pointermove", function (event) { if (dragging) moveTo(event.clientX); });
    stage.addEventListener("pointerup", function () { dragging = false; });
    stage.addEventListener("pointercancel", function () { dragging = false; });

    root.querySelectorAll("[data-compare-mode]").forEach(function (button) {
      button.addEventListener("click", function () {
        var sideBySide = button.getAttribute("data-compare-mode") === "side";
        stage.hidden = sideBySide;
        range.closest("label").hidden = sideBySide;
        if (side) side.hidden = !sideBySide;
        root.querySelectorAll("[data-compare-mode]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
      });
    });
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-compare]").forEach(function (root) {
      if (root.dataset.compareReady) return;
      root.dataset.compareReady = "1";
      setup(root);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
