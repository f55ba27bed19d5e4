// Image Studio: the little JavaScript the pages need. Everything works without it.
(function () {
  "use strict";

  // Upload zones: pick or drop several images. Each file uploads on its own request with
  // its own progress bar and its own error, one after another (the link is the bottleneck,
  // and the embedded SQLite database takes one writer at a time); a refused file never
  // stops the others. One file that uploads fine opens its page, as before.
  var UPLOAD_PARALLEL = 1;

  function uploadRow(list, file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    li.dataset.state = "waiting";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting…";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return li;
  }

  function uploadFailed(li, message) {
    li.dataset.state = "failed";
    li.querySelector(".upload-status").textContent = "Not uploaded";
    var p = document.createElement("p");
    p.className = "field-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    li.appendChild(p);
  }

  function uploadOne(zone, file, li) {
    return new Promise(function (resolve) {
      var token = zone.querySelector("input[name=csrfmiddlewaretoken]");
      var data = new FormData();
      if (token) data.append("csrfmiddlewaretoken", token.value);
      data.append("file", file, file.name);
      var bar = li.querySelector("progress"), status = li.querySelector(".upload-status");
      var xhr = new XMLHttpRequest();
      li.dataset.state = "uploading";
      status.textContent = "0 %";
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var pct = Math.min(99, Math.round((100 * event.loaded) / event.total));
        bar.value = pct;
        status.textContent = pct + " %";
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
        if (xhr.status === 200 && answer && answer.ok) {
          bar.value = 100;
          li.dataset.state = "done";
          status.textContent = "";
          var link = document.createElement("a");
          link.href = answer.url;
          link.textContent = "Uploaded · open";
          status.appendChild(link);
          resolve(answer);
        } else {
          var errors = answer && answer.errors && answer.errors.length ? answer.errors.join(" ") : "";
          uploadFailed(li, errors || "The server could not take this file (error " + xhr.status + "). Try it again.");
          resolve(null);
        }
      });
      xhr.addEventListener("error", function () {
        uploadFailed(li, "The connection dropped before this file arrived. Try it again.");
        resolve(null);
      });
      xhr.open("POST", zone.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      if (token) xhr.setRequestHeader("X-CSRFToken", token.value);
      xhr.send(data);
    });
  }

  function uploadFiles(zone, fileList) {
    var files = Array.prototype.slice.call(fileList || []);
    var list = zone.querySelector("[data-upload-list]");
    var summary = zone.querySelector("[data-upload-summary]");
    var input = zone.querySelector("input[type=file]");
    if (!files.length) return;
    if (!list) { zone.requestSubmit(); return; }
    zone.querySelectorAll(".field-error").forEach(function (el) { if (!list.contains(el)) el.remove(); });
    list.textContent = "";
    list.hidden = false;
    var queue = files.map(function (file) { return { file: file, li: uploadRow(list, file) }; });
    var done = [], next = 0;
    zone.classList.add("is-uploading");
    if (summary) {
      summary.hidden = false;
      summary.textContent = "Uploading " + files.length + (files.length === 1 ? " file…" : " files…");
    }
    function worker() {
      if (next >= queue.length) return Promise.resolve();
      var item = queue[next++];
      return uploadOne(zone, item.file, item.li).then(function (answer) {
        if (answer) done.push(answer);
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < Math.min(UPLOAD_PARALLEL, queue.length); i++) workers.push(worker());
    Promise.all(workers).then(function () {
      zone.classList.remove("is-uploading");
      if (input) input.value = "";
      if (queue.length === 1 && done.length === 1) {
        window.location.assign(done[0].url);
        return;
      }
      var failed = queue.length - done.length;
      if (summary) {
        summary.textContent = queue.length === 1 ? "" :
          done.length + " of " + queue.length + " uploaded" +
          (failed ? "; " + failed + " could not be (see why below)." : ".");
        summary.hidden = queue.length === 1;
      }
      if (done.length) document.body.dispatchEvent(new CustomEvent("library-changed", { bubbles: true }));
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-autosubmit]") && input.files.length) {
      var zone = input.closest("[data-upload-zone]");
      if (zone) uploadFiles(zone, input.files);
      else input.form.requestSubmit();
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
    if (event.dataTransfer && event.dataTransfer.files.length) {
      uploadFiles(zone, event.dataTransfer.files);
    }
  });

  // Bulk actions act on the selected items: their buttons stay disabled until something is
  // selected (set here rather than in the page, so the form still works without scripts).
  function syncBulkButtons() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var any = !!document.querySelector("input[data-select]:checked");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = !any;
      if (any) button.removeAttribute("title");
      else button.title = "Select one or more items first";
    });
  }
  ["change", "click"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("input[data-select], input[data-select-all]")) {
        setTimeout(syncBulkButtons, 0);
      }
    });
  });
  document.addEventListener("htmx:afterSettle", syncBulkButtons);
  document.addEventListener("DOMContentLoaded", syncBulkButtons);

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

  // Phones: the header's modules fold behind a Menu button (without scripts they wrap).
  function setNav(open) {
    var header = document.querySelector(".site-header");
    var toggle = header && header.querySelector(".nav-toggle");
    if (!toggle) return;
    header.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var header = document.querySelector(".site-header");
    var toggle = header && header.querySelector(".nav-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    header.classList.add("has-nav-toggle");
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (toggle) setNav(toggle.getAttribute("aria-expanded") !== "true");
  });

  // Keep the "Escape closes" promise for the user menu and the phone menu.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.user-menu[open]").forEach(function (d) { d.removeAttribute("open"); });
      setNav(false);
    }
  });
})();
