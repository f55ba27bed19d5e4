// Image Studio: the little JavaScript the pages need. Everything works without it.
(function () {
  "use strict";

  // Upload zones: drag-and-drop and auto-submit once a file is chosen.
  function submitZone(form) {
    if (window.htmx) {
      window.htmx.trigger(form, "submit");
    } else {
      form.requestSubmit();
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-autosubmit]") && input.files.length) {
      submitZone(input.form);
    }
  });

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest(".upload-zone");
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".upload-zone");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".upload-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("is-dragover");
    var input = zone.querySelector("input[type=file]");
    if (event.dataTransfer && event.dataTransfer.files.length && input) {
      input.files = event.dataTransfer.files;
      submitZone(zone);
    }
  });

  // Toasts: dismiss on click, fade informational ones after a while.
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
    var swatch = event.target.closest && event.target.closest("[data-copy]");
    if (swatch && navigator.clipboard) {
      navigator.clipboard.writeText(swatch.dataset.copy).then(function () {
        toast("Copied " + swatch.dataset.copy);
      });
    }
  });

  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-info";
    el.setAttribute("role", "status");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 4000);
  }

  function fadeToasts(root) {
    (root || document).querySelectorAll(".toast-info, .toast-success").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fadeToasts(); });

  // Poll less often while the tab is hidden: htmx re-reads hx-trigger on each cycle.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var card = event.target;
    if (document.hidden && card.classList && card.classList.contains("job-card")) {
      if (Math.random() < 0.8) event.preventDefault();
    }
  });

  // Invalid forms answer 422 with the form re-rendered: show it (htmx skips 4xx by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Crop box: drag on the preview to fill a crop form's x / y / width / height fields.
  function cropFields() {
    var form = document.getElementById("op-form");
    if (!form) return null;
    var names = ["x", "y", "width", "height"], fields = {};
    for (var i = 0; i < names.length; i++) {
      fields[names[i]] = form.querySelector("input[name=" + names[i] + "]");
      if (!fields[names[i]]) return null;
    }
    return form.querySelector("input[name=mode]") ? null : fields;
  }
  var crop = null;
  document.addEventListener("pointerdown", function (event) {
    var img = event.target.closest && event.target.closest(".preview img");
    var fields = img && cropFields();
    if (!fields) return;
    event.preventDefault();
    var fig = img.closest(".preview");
    fig.style.position = "relative";
    var box = fig.querySelector(".crop-box") || fig.appendChild(document.createElement("div"));
    box.className = "crop-box";
    var r = img.getBoundingClientRect();
    crop = { img: img, box: box, fields: fields, x0: event.clientX - r.left, y0: event.clientY - r.top };
  });
  document.addEventListener("pointermove", function (event) {
    if (!crop) return;
    var img = crop.img, r = img.getBoundingClientRect(), fr = img.closest(".preview").getBoundingClientRect();
    var x1 = Math.max(0, Math.min(r.width, event.clientX - r.left)), y1 = Math.max(0, Math.min(r.height, event.clientY - r.top));
    var left = Math.min(crop.x0, x1), top = Math.min(crop.y0, y1), w = Math.abs(x1 - crop.x0), h = Math.abs(y1 - crop.y0);
    crop.box.style.cssText = "left:" + (left + r.left - fr.left) + "px;top:" + (top + r.top - fr.top) + "px;width:" + w + "px;height:" + h + "px";
    var sx = img.naturalWidth / r.width, sy = img.naturalHeight / r.height;
    crop.fields.x.value = Math.round(left * sx);
    crop.fields.y.value = Math.round(top * sy);
    crop.fields.width.value = Math.max(1, Math.round(w * sx));
    crop.fields.height.value = Math.max(1, Math.round(h * sy));
  });
  document.addEventListener("pointerup", function () {
    if (crop) {
      crop.fields.height.dispatchEvent(new Event("change", { bubbles: true }));
      crop = null;
    }
  });

  // Read-only link fields select their whole text on focus, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
      event.target.select();
    }
  });

  // Forms that destroy something ask first (data-confirm holds the question).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Keep the "Escape closes" promise for the user menu.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.user-menu[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });
})();
