// Control page: sliders show their value, and the style slider's thumbnail follows the
// style image picked from the library or chosen for upload. Works on forms swapped in by
// htmx too (the listeners sit on the document).
(function () {
  "use strict";

  function thumbFor(source) {
    var form = source.form;
    return form && form.querySelector('img[data-thumb-source="' + source.name + '"], img[data-thumb-source="style_asset"]');
  }

  function show(img, url, alt) {
    if (!img) return;
    if (url) {
      img.src = url;
      img.alt = alt || "";
      img.hidden = false;
    } else {
      img.hidden = true;
    }
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches && el.matches('.thumb-slider input[type="range"]')) {
      var out = el.parentNode.querySelector(".slider-value");
      if (out) out.textContent = el.value;
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.name === "style_asset") {
      var map = {};
      (el.getAttribute("data-thumbs") || "").split(" ").forEach(function (pair) {
        var i = pair.indexOf("=");
        if (i > 0) map[pair.slice(0, i)] = pair.slice(i + 1);
      });
      var label = el.options[el.selectedIndex] ? el.options[el.selectedIndex].text : "";
      show(thumbFor(el), map[el.value] || "", "Style: " + label);
    } else if (el.name === "style_upload" && el.files && el.files[0]) {
      var img = thumbFor(el);
      if (img && img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
      var url = URL.createObjectURL(el.files[0]);
      if (img) img.dataset.objectUrl = url;
      show(img, url, "Style: " + el.files[0].name);
    }
  });
})();
