// Multi-select: shift-click selects a range, "select all" covers the page, the count follows.
(function () {
  "use strict";
  var last = null;
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-select]")); }
  function update() {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    var out = document.querySelector("[data-selected-count]");
    if (out) out.textContent = n ? n + " selected" : "";
    var all = document.querySelector("[data-select-all]");
    if (all) all.checked = n > 0 && n === boxes().length;
    boxes().forEach(function (b) { var card = b.closest(".asset-card, tr"); if (card) card.classList.toggle("is-selected", b.checked); });
  }
  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("[data-select]");
    if (!box) return;
    if (event.shiftKey && last && last !== box) {
      var list = boxes(), a = list.indexOf(last), b = list.indexOf(box);
      if (a > -1 && b > -1) {
        list.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (x) { x.checked = box.checked; });
      }
    }
    last = box;
    update();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      boxes().forEach(function (b) { b.checked = event.target.checked; });
      update();
    }
  });
  document.addEventListener("htmx:afterSettle", update);
})();
