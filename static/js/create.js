// Create page: template search-as-you-type, recommended template chips, template sizes,
// and the variations slider's live label. The form works without it.
(function () {
  "use strict";

  function form() { return document.getElementById("create-form"); }

  document.addEventListener("input", function (e) {
    if (e.target.id === "template-search") {
      var words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
      var select = document.getElementById("id_template");
      if (!select) return;
      select.querySelectorAll("optgroup").forEach(function (group) {
        var any = false;
        group.querySelectorAll("option").forEach(function (opt) {
          var text = (group.label + " " + opt.textContent).toLowerCase();
          var show = words.every(function (w) { return text.indexOf(w) !== -1; });
          opt.hidden = !show;
          any = any || show;
        });
        group.hidden = !any;
      });
    }
    if (e.target.id === "id_variations") {
      var out = document.getElementById("variations-out");
      if (out) out.textContent = e.target.value;
    }
  });

  function fillSize(select) {
    var m = /(\d+)×(\d+)/.exec(select.options[select.selectedIndex] ? select.options[select.selectedIndex].textContent : "");
    var w = document.getElementById("id_width"), h = document.getElementById("id_height");
    if (m && w && h) { w.value = m[1]; h.value = m[2]; }
  }

  document.addEventListener("change", function (e) {
    if (e.target.id === "id_template") fillSize(e.target);
  });

  document.addEventListener("click", function (e) {
    var chip = e.target.closest && e.target.closest("[data-template]");
    if (!chip) return;
    var select = document.getElementById("id_template");
    if (!select) return;
    select.value = chip.dataset.template;
    fillSize(select);
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_template");
    var w = document.getElementById("id_width");
    if (select && select.value && w && !w.value) fillSize(select);
  });
})();
