// Batch Processor: the approval form learns the browser's time zone (a scheduled start is
// read in it), and ticking a row in the dry run means "run the ticked rows".
(function () {
  "use strict";
  function init() {
    var tz = "";
    try {
      tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      tz = "";
    }
    var input = document.querySelector("#approve-form input[name=tz]");
    if (input && !input.value) input.value = tz;
    var label = document.querySelector("[data-tz-label]");
    if (label && tz) label.textContent = "(" + tz + ")";
  }
  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("input[name=rows][form=approve-form]")) return;
    var chosen = document.querySelector("#approve-form input[name=scope][value=chosen]");
    if (chosen) chosen.checked = true;
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
