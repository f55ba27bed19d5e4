// Before/after compare: a wipe driven by a range input (so it works with the keyboard and
// screen readers) plus a side-by-side mode with synced zoom and pan and a 1:1 loupe.
// Used by the library, Upscale and Edit. No dependencies.
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

    var zoom = side ? setupZoom(side) : null;

    function showMode(button) {
      var sideBySide = button.getAttribute("data-compare-mode") === "side";
      stage.hidden = sideBySide;
      range.closest("label").hidden = sideBySide;
      if (side) side.hidden = !sideBySide;
      root.querySelectorAll("[data-compare-mode]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      if (sideBySide && zoom) zoom.fit();
    }
    root.querySelectorAll("[data-compare-mode]").forEach(function (button) {
      button.addEventListener("click", function () { showMode(button); });
    });
    var start = root.querySelector('[data-compare-mode="' + root.getAttribute("data-start-mode") + '"]');
    if (start && start.getAttribute("data-compare-mode") !== "wipe") showMode(start);
  }

  // Side by side: both pictures share one zoom and pan (the "before" is drawn at the
  // "after"'s size, so the same point sits in the same place), and a loupe shows the
  // pixels under the pointer at 1:1.
  function setupZoom(side) {
    var panes = Array.prototype.slice.call(side.querySelectorAll("[data-compare-pane]"));
    var imgs = panes.map(function (p) { return p.querySelector("img"); });
    var level = side.querySelector("[data-zoom-level]");
    var loupe = side.querySelector("[data-compare-loupe]");
    var loupeButton = side.querySelector("[data-loupe]");
    var dpr = window.devicePixelRatio || 1;
    var view = { s: 1, x: 0, y: 0, fitted: true };
    var natural = {
      w: Number(side.getAttribute("data-after-width")) || 0,
      h: Number(side.getAttribute("data-after-height")) || 0,
    };

    function size() {
      var after = imgs[imgs.length - 1];
      if (!natural.w && after.naturalWidth && full) {
        natural.w = after.naturalWidth;
        natural.h = after.naturalHeight;
      }
      return natural;
    }

    // The page shows light previews; the originals load only when a zoom magnifies the
    // preview's pixels (or the loupe needs them), so nothing blurs at 1:1.
    var full = false;
    function fullUrl(img) { return img.getAttribute("data-asset-base") + "file/"; }
    function needFull() {
      if (full) return;
      var after = imgs[imgs.length - 1];
      if (!loupeOn()) {
        // A preview still being made answers with a small placeholder: then the original.
        if (!after.naturalWidth) return;  // the preview's size is not known yet
        if (view.s * dpr * size().w / after.naturalWidth <= 1.01) return;
      }
      full = true;
      imgs.forEach(function (img) { img.src = fullUrl(img); });
      side.setAttribute("data-full", "1");
    }
    function loupeOn() { return !!loupeButton && loupeButton.getAttribute("aria-pressed") === "true"; }

    function apply() {
      var n = size();
      if (n.w) needFull();
      imgs.forEach(function (img) {
        img.style.width = n.w + "px";
        img.style.height = n.h + "px";
        img.style.transform = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.s + ")";
      });
      panes.forEach(function (p) { p.classList.toggle("is-pixels", view.s * dpr >= 2); });
      if (level) level.textContent = view.fitted ? "Fit (" + Math.round(view.s * dpr * 100) + "%)" : Math.round(view.s * dpr * 100) + "%";
      side.setAttribute("data-zoom-scale", String(view.s));
    }

    function fit() {
      var n = size();
      var box = panes[0].getBoundingClientRect();
      if (!n.w || !box.width) return;
      view.s = Math.min(box.width / n.w, box.height / n.h);
      view.x = (box.width - n.w * view.s) / 2;
      view.y = (box.height - n.h * view.s) / 2;
      view.fitted = true;
      apply();
    }

    function zoomAt(factor, px, py, absolute) {
      var s = absolute ? factor : view.s * factor;
      s = Math.max(0.02, Math.min(16, s));
      view.x = px - (px - view.x) * (s / view.s);
      view.y = py - (py - view.y) * (s / view.s);
      view.s = s;
      view.fitted = false;
      apply();
    }

    function centre() {
      var box = panes[0].getBoundingClientRect();
      return [box.width / 2, box.height / 2];
    }

    side.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var what = button.getAttribute("data-zoom");
        var c = centre();
        if (what === "fit") fit();
        else if (what === "1") zoomAt(1 / dpr, c[0], c[1], true);
        else zoomAt(what === "in" ? 1.5 : 1 / 1.5, c[0], c[1], false);
      });
    });

    var pan = null;
    panes.forEach(function (pane) {
      pane.addEventListener("wheel", function (event) {
        event.preventDefault();
        var box = pane.getBoundingClientRect();
        zoomAt(event.deltaY < 0 ? 1.2 : 1 / 1.2, event.clientX - box.left, event.clientY - box.top, false);
      }, { passive: false });
      pane.addEventListener("pointerdown", function (event) {
        event.preventDefault();
        pane.setPointerCapture(event.pointerId);
        pan = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, pane: pane };
        pane.classList.add("is-panning");
      });
      pane.addEventListener("pointermove", function (event) {
        if (pan && pan.pane === pane) {
          view.x = pan.vx + (event.clientX - pan.x);
          view.y = pan.vy + (event.clientY - pan.y);
          view.fitted = false;
          apply();
        }
        showLoupe(pane, event);
      });
      function stop() { if (pan) pan.pane.classList.remove("is-panning"); pan = null; }
      pane.addEventListener("pointerup", stop);
      pane.addEventListener("pointercancel", stop);
      pane.addEventListener("pointerleave", function () { if (loupe) loupe.hidden = true; });
    });

    function showLoupe(pane, event) {
      if (!loupe || !loupeOn()) return;
      var n = size();
      var box = pane.getBoundingClientRect();
      // The image pixel under the pointer, in the "after" picture's pixels.
      var ix = (event.clientX - box.left - view.x) / view.s;
      var iy = (event.clientY - box.top - view.y) / view.s;
      var r = loupe.offsetWidth / 2 || 100;
      loupe.style.backgroundImage = 'url("' + fullUrl(pane.querySelector("img")) + '")';
      loupe.style.backgroundSize = (n.w / dpr) + "px " + (n.h / dpr) + "px";
      loupe.style.backgroundPosition = (r - ix / dpr) + "px " + (r - iy / dpr) + "px";
      loupe.style.left = (event.clientX - r) + "px";
      loupe.style.top = (event.clientY - r) + "px";
      loupe.setAttribute("data-image-x", String(Math.round(ix)));
      loupe.setAttribute("data-image-y", String(Math.round(iy)));
      loupe.hidden = false;
    }

    if (loupeButton) {
      loupeButton.addEventListener("click", function () {
        var on = loupeButton.getAttribute("aria-pressed") !== "true";
        loupeButton.setAttribute("aria-pressed", on ? "true" : "false");
        if (!on && loupe) loupe.hidden = true;
        if (on) needFull();
      });
    }
    imgs.forEach(function (img) {
      img.addEventListener("load", function () { if (view.fitted) fit(); else apply(); });
    });
    window.addEventListener("resize", function () { if (view.fitted) fit(); });
    return { fit: fit };
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
