// Social Optimizer previews: the same crop geometry as the server's renderer, drawn with
// CSS so moving the focal point or ticking a format updates every preview instantly.
(function () {
  "use strict";

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  // Mirrors providers/local/social.py crop_box() (without face constraints).
  function cropBox(srcW, srcH, fmt, mode, fx, fy) {
    var aspect = fmt.w / fmt.h, cw, ch;
    if (srcW / srcH > aspect) { cw = srcH * aspect; ch = srcH; } else { cw = srcW; ch = srcW / aspect; }
    if (mode === "centre") return [(srcW - cw) / 2, (srcH - ch) / 2, cw, ch];
    var s = fmt.safe; // top, bottom, left, right
    var cx = s[2] + (1 - s[2] - s[3]) / 2, cy = s[0] + (1 - s[0] - s[1]) / 2;
    var left = clamp(fx * srcW - cw * cx, 0, srcW - cw);
    var top = clamp(fy * srcH - ch * cy, 0, srcH - ch);
    return [left, top, cw, ch];
  }

  function init() {
    var root = document.getElementById("social-previews");
    var data = document.getElementById("social-formats");
    if (!root || !data) return;
    var formats = {};
    JSON.parse(data.textContent).forEach(function (f) { formats[f.key] = f; });
    var srcW = +root.dataset.w, srcH = +root.dataset.h, src = root.dataset.src;
    var stage = document.getElementById("focal-stage");
    var marker = document.getElementById("focal-marker");
    var safeToggle = document.getElementById("toggle-safe");

    function form() { return document.getElementById("op-form"); }
    function input(name) { var f = form(); return f && f.querySelector("[name=" + name + "]"); }
    // 0 is a valid position (the picture's edge); only a missing or unreadable value falls back.
    function coord(el) {
      var v = el ? parseFloat(el.value) : NaN;
      return isNaN(v) ? 0.5 : clamp(v, 0, 1);
    }
    function focal() { return [coord(input("focal_x")), coord(input("focal_y"))]; }
    function mode() { var m = input("mode"); return m ? m.value : "smart"; }

    function tile(fmt, fx, fy, m) {
      var fig = document.createElement("figure");
      fig.className = "tile";
      fig.dataset.format = fmt.key;
      var frame = document.createElement("div");
      frame.className = "tile-frame";
      frame.style.aspectRatio = fmt.w + " / " + fmt.h;
      var flags = [];
      if (m === "fit") {
        var bg = new Image(); bg.src = src; bg.alt = ""; bg.className = "fit-bg";
        var fg = new Image(); fg.src = src; fg.alt = fmt.label + " preview"; fg.className = "fit-fg";
        frame.appendChild(bg); frame.appendChild(fg);
      } else {
        var box = cropBox(srcW, srcH, fmt, m, fx, fy);
        var img = new Image();
        img.src = src;
        img.alt = fmt.label + " preview";
        img.style.width = (srcW / box[2] * 100) + "%";
        img.style.height = (srcH / box[3] * 100) + "%";
        img.style.left = (-box[0] / box[2] * 100) + "%";
        img.style.top = (-box[1] / box[3] * 100) + "%";
        frame.appendChild(img);
        var rx = (fx * srcW - box[0]) / box[2], ry = (fy * srcH - box[1]) / box[3];
        var s = fmt.safe;
        if (rx < s[2] || rx > 1 - s[3] || ry < s[0] || ry > 1 - s[1]) flags.push("Subject outside the safe zone");
        if (box[2] < fmt.min[0] || box[3] < fmt.min[1]) flags.push("Source too small for this format");
      }
      var zone = document.createElement("div");
      zone.className = "safe-zone";
      zone.style.top = fmt.safe[0] * 100 + "%";
      zone.style.bottom = fmt.safe[1] * 100 + "%";
      zone.style.left = fmt.safe[2] * 100 + "%";
      zone.style.right = fmt.safe[3] * 100 + "%";
      frame.appendChild(zone);
      fig.appendChild(frame);
      var cap = document.createElement("figcaption");
      cap.innerHTML = "<strong></strong><br><span class='muted'></span>";
      cap.querySelector("strong").textContent = fmt.label;
      cap.querySelector("span").textContent = fmt.w + "×" + fmt.h + " · ≤ " + fmt.max_mb + " MB";
      flags.forEach(function (text) {
        var p = document.createElement("p"); p.className = "flag"; p.textContent = "⚠ " + text; cap.appendChild(p);
      });
      fig.appendChild(cap);
      return fig;
    }

    function render() {
      var f = form();
      if (!f) return;
      var p = focal(), m = mode();
      root.textContent = "";
      f.querySelectorAll("input[name=formats]:checked").forEach(function (box) {
        if (formats[box.value]) root.appendChild(tile(formats[box.value], p[0], p[1], m));
      });
      if (!root.children.length) root.textContent = "Tick a format to see its preview.";
      root.classList.toggle("hide-safe", safeToggle && !safeToggle.checked);
      if (marker) { marker.style.left = p[0] * 100 + "%"; marker.style.top = p[1] * 100 + "%"; }
    }

    // The detector's point, when known: "Back to detected" returns to it after a drag.
    var detected = stage && stage.dataset.detectedX ? {
      x: parseFloat(stage.dataset.detectedX), y: parseFloat(stage.dataset.detectedY),
      method: stage.dataset.detectedMethod || "auto"
    } : null;
    var status = document.getElementById("focal-status");
    var reset = document.getElementById("focal-reset");

    function showSource(source) {
      if (status) {
        status.textContent = source === "user" ? "Set by you." :
          (detected ? "Detected (" + detected.method + ")." : status.textContent);
      }
      if (reset) reset.hidden = !(source === "user" && detected);
    }

    function setFocal(x, y, source) {
      var fx = input("focal_x"), fy = input("focal_y"), fs = input("focal_source");
      var was = fs ? fs.value : "";
      if (fx) fx.value = clamp(x, 0, 1).toFixed(4);
      if (fy) fy.value = clamp(y, 0, 1).toFixed(4);
      if (fs) fs.value = source;
      if (source === "user" || was === "user") showSource(source);
      render();
    }

    if (reset) {
      reset.addEventListener("click", function () {
        if (detected) setFocal(detected.x, detected.y, "auto");
        if (marker) marker.focus();
      });
    }

    // Phones: the format list folds into a drawer below the previews; its summary counts.
    var drawer = document.querySelector("details.format-drawer");
    function countFormats() {
      var f = form(), out = document.querySelector("[data-format-count]");
      if (f && out) out.textContent = f.querySelectorAll("input[name=formats]:checked").length + " selected";
    }
    if (drawer && !drawer.hasAttribute("data-keep-open") && window.matchMedia &&
        window.matchMedia("(max-width: 800px)").matches) {
      drawer.open = false;
    }

    if (stage) {
      var dragging = false;
      function fromEvent(e) {
        var r = stage.getBoundingClientRect();
        setFocal((e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height, "user");
      }
      stage.addEventListener("pointerdown", function (e) { dragging = true; stage.setPointerCapture(e.pointerId); fromEvent(e); });
      stage.addEventListener("pointermove", function (e) { if (dragging) fromEvent(e); });
      stage.addEventListener("pointerup", function () { dragging = false; });
      stage.addEventListener("pointercancel", function () { dragging = false; });
    }
    if (marker) {
      marker.addEventListener("keydown", function (e) {
        var step = e.shiftKey ? 0.05 : 0.01, p = focal();
        var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        if (moves[e.key]) { e.preventDefault(); setFocal(p[0] + moves[e.key][0], p[1] + moves[e.key][1], "user"); }
      });
    }
    document.addEventListener("change", function (e) {
      if (e.target.closest && (e.target.closest("#op-form") || e.target === safeToggle)) {
        countFormats();
        render();
      }
    });
    // A finished detection job reports the focal point: adopt it unless the user moved it.
    document.body.addEventListener("htmx:afterSwap", function () {
      var found = document.querySelector(".focal-result[data-focal-x]");
      var fs = input("focal_source");
      if (found) {
        detected = {
          x: parseFloat(found.dataset.focalX), y: parseFloat(found.dataset.focalY),
          method: found.dataset.focalMethod || (detected && detected.method) || "auto"
        };
      }
      if (found && fs && fs.value !== "user") {
        setFocal(detected.x, detected.y, "auto");
        if (status) status.textContent = "Subject detected.";
      } else if (found && fs) {
        showSource(fs.value);  // moved by hand before the detector answered: offer its point
      }
      render();
    });
    render();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
