// Upscale page: a preset decides the size, so the factor only shows when no preset is
// chosen; the prompt, creativity and style only matter to the generative methods.
(function () {
  "use strict";

  function sync(form) {
    if (!form) return;
    var preset = form.querySelector('[name="preset"]');
    var method = form.querySelector('[name="engine"]');
    var factor = form.querySelector('[data-field="factor"]');
    if (preset && factor) factor.hidden = preset.value !== "";
    var generative = !method || method.value === "auto" || /conservative|creative/.test(method.value);
    ["prompt", "negative_prompt", "creativity"].forEach(function (name) {
      var field = form.querySelector('[data-field="' + name + '"]');
      if (field) field.hidden = !generative;
    });
    var style = form.querySelector('[data-field="style_preset"]');
    if (style && method) style.hidden = !(method.value === "auto" || /creative/.test(method.value));
  }

  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.id === "op-form") sync(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { sync(document.getElementById("op-form")); });
  document.addEventListener("htmx:afterSwap", function () { sync(document.getElementById("op-form")); });
})();
