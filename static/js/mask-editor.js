// Edit page: the canvas mask editor, and the form fields that follow the chosen model.
//
// Plain JavaScript with pointer events (mouse, pen and touch alike); no library: the job is
// a few canvases and coordinate maths, and a vendored paint library would bring its own
// layer model that still has to be mapped onto the image's native pixels.
//
// The mask lives in one canvas at the image's native size (white, its alpha = how much to
// change). The view canvas shows the picture and the tinted mask through the current zoom
// and pan; every pointer position is mapped back to native pixels, so the mask that is sent
// is exactly where the user painted, whatever the zoom or the display size.
(function () {
  "use strict";

  var HISTORY_STEPS = 100; // at least 50 undo steps, as long as the memory budget allows
  var HISTORY_BYTES = 512 * 1024 * 1024;
  var MIN_ZOOM = 0.01;
  var MAX_ZOOM = 32;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function canvas(w, h) {
    var c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    return c;
  }

  function MaskEditor(root) {
    this.root = root;
    this.W = parseInt(root.dataset.width, 10);
    this.H = parseInt(root.dataset.height, 10);
    this.stage = root.querySelector("[data-stage]");
    this.view = root.querySelector("[data-view]");
    this.status = root.querySelector("[data-status]");
    this.mask = canvas(this.W, this.H);
    this.mctx = this.mask.getContext("2d", { willReadFrequently: true });
    this.scratch = null; // a copy of the mask taken before each change (for undo)
    this.tint = canvas(1, 1);
    this.tool = "brush";
    this.size = 40; // brush diameter in screen pixels
    this.hardness = 0.8;
    this.zoom = 1;
    this.tx = 0; // where the image's origin sits in the stage, CSS pixels
    this.ty = 0;
    this.overlay = { colour: "#ff3b6b", opacity: 0.55, show: true };
    this.history = [];
    this.index = 0; // entries before this index are applied
    this.pointers = new Map();
    this.action = null;
    this.spaceDown = false;
    this.dirty = false; // the form's file input does not hold the current mask yet
    this.painted = false;
    this.hover = null;
    this.image = new Image();
    this.image.decoding = "async";
    var self = this;
    this.image.onload = function () {
      self.ready = true;
      self.fit();
      self.loadInitialMask();
    };
    this.image.onerror = function () { self.say("The picture could not be loaded."); };
    this.image.src = root.dataset.src;
    this.bind();
    root.hidden = false;
    var fallback = root.parentNode.querySelector(".me-fallback");
    if (fallback) fallback.hidden = true;
    this.resize();
  }

  MaskEditor.prototype.say = function (text) { if (this.status) this.status.textContent = text; };

  // ------------------------------------------------------------------ view

  MaskEditor.prototype.resize = function () {
    var box = this.stage.getBoundingClientRect();
    var dpr = window.devicePixelRatio || 1;
    this.sw = Math.max(1, Math.round(box.width));
    this.sh = Math.max(1, Math.round(box.height));
    this.view.width = Math.round(this.sw * dpr);
    this.view.height = Math.round(this.sh * dpr);
    this.view.style.width = this.sw + "px";
    this.view.style.height = this.sh + "px";
    this.tint.width = this.view.width;
    this.tint.height = this.view.height;
    this.dpr = dpr;
    this.render();
  };

  MaskEditor.prototype.fit = function () {
    this.zoom = clamp(Math.min(this.sw / this.W, this.sh / this.H), MIN_ZOOM, MAX_ZOOM);
    this.tx = (this.sw - this.W * this.zoom) / 2;
    this.ty = (this.sh - this.H * this.zoom) / 2;
    this.render();
  };

  // Zoom to ``z`` keeping the image point under stage point (sx, sy) where it is.
  MaskEditor.prototype.zoomAt = function (z, sx, sy) {
    z = clamp(z, MIN_ZOOM, MAX_ZOOM);
    if (sx === undefined) { sx = this.sw / 2; sy = this.sh / 2; }
    var ix = (sx - this.tx) / this.zoom;
    var iy = (sy - this.ty) / this.zoom;
    this.zoom = z;
    this.tx = sx - ix * z;
    this.ty = sy - iy * z;
    this.render();
  };

  MaskEditor.prototype.panBy = function (dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.render();
  };

  // Stage (CSS pixel) coordinates of a pointer event, and the native image pixel under it.
  MaskEditor.prototype.stagePoint = function (event) {
    var box = this.view.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  };
  MaskEditor.prototype.toImage = function (p) {
    return { x: (p.x - this.tx) / this.zoom, y: (p.y - this.ty) / this.zoom };
  };

  MaskEditor.prototype.render = function () {
    if (this.frame) return;
    var self = this;
    this.frame = requestAnimationFrame(function () { self.frame = null; self.draw(); });
  };

  MaskEditor.prototype.draw = function () {
    var ctx = this.view.getContext("2d");
    var d = this.dpr || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.view.width, this.view.height);
    if (!this.ready) return;
    var m = [this.zoom * d, 0, 0, this.zoom * d, this.tx * d, this.ty * d];
    ctx.imageSmoothingEnabled = this.zoom < 2;
    ctx.setTransform(m[0], m[1], m[2], m[3], m[4], m[5]);
    ctx.drawImage(this.image, 0, 0);
    if (this.overlay.show) {
      var t = this.tint.getContext("2d");
      t.setTransform(1, 0, 0, 1, 0, 0);
      t.globalCompositeOperation = "source-over";
      t.clearRect(0, 0, this.tint.width, this.tint.height);
      t.imageSmoothingEnabled = this.zoom < 2;
      t.setTransform(m[0], m[1], m[2], m[3], m[4], m[5]);
      t.drawImage(this.mask, 0, 0);
      t.setTransform(1, 0, 0, 1, 0, 0);
      t.globalCompositeOperation = "source-in";
      t.fillStyle = this.overlay.colour;
      t.fillRect(0, 0, this.tint.width, this.tint.height);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.globalAlpha = this.overlay.opacity;
      ctx.drawImage(this.tint, 0, 0);
      ctx.globalAlpha = 1;
    }
    ctx.setTransform(d, 0, 0, d, 0, 0);
    // The picture's edge, and the shape being drawn.
    ctx.strokeStyle = "rgba(0,0,0,.35)";
    ctx.lineWidth = 1;
    ctx.strokeRect(this.tx - 0.5, this.ty - 0.5, this.W * this.zoom + 1, this.H * this.zoom + 1);
    var a = this.action;
    if (a && a.kind === "rect") {
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(Math.min(a.start.x, a.last.x), Math.min(a.start.y, a.last.y),
        Math.abs(a.last.x - a.start.x), Math.abs(a.last.y - a.start.y));
      ctx.setLineDash([]);
    } else if (a && a.kind === "lasso" && a.points.length > 1) {
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "#fff";
      ctx.beginPath();
      ctx.moveTo(a.points[0].x, a.points[0].y);
      for (var i = 1; i < a.points.length; i++) ctx.lineTo(a.points[i].x, a.points[i].y);
      ctx.closePath();
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.hover && (this.tool === "brush" || this.tool === "eraser") && !this.panning()) {
      ctx.beginPath();
      ctx.arc(this.hover.x, this.hover.y, this.size / 2, 0, Math.PI * 2);
      ctx.strokeStyle = "rgba(255,255,255,.9)";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(this.hover.x, this.hover.y, this.size / 2 + 1, 0, Math.PI * 2);
      ctx.strokeStyle = "rgba(0,0,0,.6)";
      ctx.stroke();
    }
    this.syncControls();
  };

  MaskEditor.prototype.panning = function () { return this.action && this.action.kind === "pan"; };

  // ------------------------------------------------------------------ painting

  // Brush radius in native pixels: the brush keeps its size on screen.
  MaskEditor.prototype.radius = function () { return Math.max(0.5, this.size / 2 / this.zoom); };

  MaskEditor.prototype.stamp = function (p, erase) {
    var r = this.radius();
    var ctx = this.mctx;
    ctx.save();
    ctx.globalCompositeOperation = erase ? "destination-out" : "source-over";
    if (this.hardness >= 0.99) {
      ctx.fillStyle = "#fff";
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fill();
    } else {
      var g = ctx.createRadialGradient(p.x, p.y, r * this.hardness, p.x, p.y, r);
      g.addColorStop(0, "rgba(255,255,255,1)");
      g.addColorStop(1, "rgba(255,255,255,0)");
      ctx.fillStyle = g;
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.restore();
    this.grow(p.x - r, p.y - r, p.x + r, p.y + r);
  };

  MaskEditor.prototype.strokeTo = function (p, erase) {
    var a = this.action;
    var from = a.lastImage;
    var dist = Math.hypot(p.x - from.x, p.y - from.y);
    var step = Math.max(0.5, this.radius() * (this.hardness >= 0.99 ? 0.15 : 0.25));
    var n = Math.floor(dist / step);
    for (var i = 1; i <= n; i++) {
      var t = (i * step) / dist;
      this.stamp({ x: from.x + (p.x - from.x) * t, y: from.y + (p.y - from.y) * t }, erase);
    }
    if (n > 0) {
      a.lastImage = { x: from.x + (p.x - from.x) * (n * step) / dist, y: from.y + (p.y - from.y) * (n * step) / dist };
    }
  };

  // The changed area of the current action, in native pixels.
  MaskEditor.prototype.grow = function (x0, y0, x1, y1) {
    var b = this.action && this.action.box;
    if (!b) return;
    b.x0 = Math.min(b.x0, x0); b.y0 = Math.min(b.y0, y0);
    b.x1 = Math.max(b.x1, x1); b.y1 = Math.max(b.y1, y1);
  };

  MaskEditor.prototype.beginChange = function () {
    if (!this.scratch) this.scratch = canvas(this.W, this.H);
    var s = this.scratch.getContext("2d", { willReadFrequently: true });
    s.globalCompositeOperation = "copy";
    s.drawImage(this.mask, 0, 0);
    s.globalCompositeOperation = "source-over";
    return { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  };

  function alphaOf(ctx, x, y, w, h) {
    var data = ctx.getImageData(x, y, w, h).data;
    var out = new Uint8ClampedArray(w * h);
    for (var i = 0, j = 3; i < out.length; i++, j += 4) out[i] = data[j];
    return out;
  }

  // Record the change since beginChange over ``box`` (native pixels) as one undo step.
  MaskEditor.prototype.endChange = function (box, label) {
    var x0 = clamp(Math.floor(box.x0) - 1, 0, this.W);
    var y0 = clamp(Math.floor(box.y0) - 1, 0, this.H);
    var x1 = clamp(Math.ceil(box.x1) + 1, 0, this.W);
    var y1 = clamp(Math.ceil(box.y1) + 1, 0, this.H);
    if (x1 <= x0 || y1 <= y0) return;
    var w = x1 - x0;
    var h = y1 - y0;
    var entry = {
      kind: "patch",
      label: label,
      x: x0, y: y0, w: w, h: h,
      before: alphaOf(this.scratch.getContext("2d", { willReadFrequently: true }), x0, y0, w, h),
      after: alphaOf(this.mctx, x0, y0, w, h),
    };
    entry.bytes = w * h * 2;
    this.push(entry);
  };

  MaskEditor.prototype.push = function (entry) {
    this.history.length = this.index;
    this.history.push(entry);
    var total = 0;
    for (var i = 0; i < this.history.length; i++) total += this.history[i].bytes || 0;
    while (this.history.length > HISTORY_STEPS || (total > HISTORY_BYTES && this.history.length > 1)) {
      total -= this.history.shift().bytes || 0;
    }
    this.index = this.history.length;
    this.changed();
  };

  MaskEditor.prototype.putAlpha = function (x, y, w, h, alpha) {
    var img = this.mctx.createImageData(w, h);
    var d = img.data;
    for (var i = 0, j = 0; i < alpha.length; i++, j += 4) {
      d[j] = 255; d[j + 1] = 255; d[j + 2] = 255; d[j + 3] = alpha[i];
    }
    this.mctx.putImageData(img, x, y);
  };

  MaskEditor.prototype.apply = function (entry, forward) {
    if (entry.kind === "invert") this.invertPixels();
    else this.putAlpha(entry.x, entry.y, entry.w, entry.h, forward ? entry.after : entry.before);
  };

  MaskEditor.prototype.undo = function () {
    if (this.index === 0) return;
    this.index -= 1;
    this.apply(this.history[this.index], false);
    this.changed();
    this.say("Undone: " + this.history[this.index].label);
  };

  MaskEditor.prototype.redo = function () {
    if (this.index >= this.history.length) return;
    this.apply(this.history[this.index], true);
    this.index += 1;
    this.changed();
    this.say("Redone: " + this.history[this.index - 1].label);
  };

  // alpha → 1 − alpha over the whole mask, on the GPU (exactly reversible in 8 bits).
  MaskEditor.prototype.invertPixels = function () {
    if (!this.scratch) this.scratch = canvas(this.W, this.H);
    var s = this.scratch.getContext("2d", { willReadFrequently: true });
    s.globalCompositeOperation = "copy";
    s.drawImage(this.mask, 0, 0);
    s.globalCompositeOperation = "source-over";
    var m = this.mctx;
    m.save();
    m.globalCompositeOperation = "copy";
    m.fillStyle = "#fff";
    m.fillRect(0, 0, this.W, this.H);
    m.globalCompositeOperation = "destination-out";
    m.drawImage(this.scratch, 0, 0);
    m.restore();
  };

  MaskEditor.prototype.invert = function () {
    this.invertPixels();
    this.push({ kind: "invert", label: "invert", bytes: 0 });
    this.say("Mask inverted.");
  };

  MaskEditor.prototype.clear = function () {
    var box = this.beginChange();
    this.mctx.clearRect(0, 0, this.W, this.H);
    box.x0 = 0; box.y0 = 0; box.x1 = this.W; box.y1 = this.H;
    this.endChange(box, "clear");
    this.say("Mask cleared.");
  };

  // Replace the mask with an image (white = change) of the picture's size.
  MaskEditor.prototype.load = function (source, label) {
    var w = source.naturalWidth || source.width;
    var h = source.naturalHeight || source.height;
    if (w !== this.W || h !== this.H) {
      this.say("That mask is " + w + "×" + h + " px but the picture is " + this.W + "×" + this.H +
        " px: a mask must be the picture's size.");
      return false;
    }
    var box = this.beginChange();
    var tmp = canvas(w, h);
    var t = tmp.getContext("2d", { willReadFrequently: true });
    t.drawImage(source, 0, 0);
    var data = t.getImageData(0, 0, w, h);
    var d = data.data;
    var usesAlpha = false;
    for (var k = 3; k < d.length; k += 4) { if (d[k] < 255) { usesAlpha = true; break; } }
    for (var j = 0; j < d.length; j += 4) {
      // An opaque mask carries the area in its grey levels; a layer painted on transparency
      // in its alpha.
      var a = usesAlpha ? d[j + 3] : Math.round(0.299 * d[j] + 0.587 * d[j + 1] + 0.114 * d[j + 2]);
      d[j] = 255; d[j + 1] = 255; d[j + 2] = 255; d[j + 3] = a;
    }
    this.mctx.putImageData(data, 0, 0);
    box.x0 = 0; box.y0 = 0; box.x1 = this.W; box.y1 = this.H;
    this.endChange(box, label);
    return true;
  };

  MaskEditor.prototype.loadURL = function (url, label, done) {
    var self = this;
    this.say("Loading the mask…");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          return r.json().then(function (j) { throw new Error(j.error || "failed"); },
            function () { throw new Error("The mask could not be loaded (" + r.status + ")."); });
        }
        return r.blob();
      })
      .then(function (blob) { return createImageBitmap(blob); })
      .then(function (bitmap) {
        if (self.load(bitmap, label)) self.say(done);
      })
      .catch(function (err) { self.say(err.message); });
  };

  MaskEditor.prototype.loadInitialMask = function () {
    var id = new URLSearchParams(window.location.search).get("mask_from");
    var base = this.root.dataset.jobMaskUrl;
    if (id && base && /^[0-9a-f-]{36}$/i.test(id)) {
      this.loadURL(base.replace("00000000-0000-0000-0000-000000000000", id), "reuse mask",
        "The earlier mask is loaded: change it or run the edit.");
    }
  };

  MaskEditor.prototype.fillShape = function (shape, erase) {
    var box = this.beginChange();
    var ctx = this.mctx;
    ctx.save();
    ctx.globalCompositeOperation = erase ? "destination-out" : "source-over";
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    shape(ctx, box);
    ctx.fill();
    ctx.restore();
    this.endChange(box, erase ? "remove shape" : "fill shape");
  };

  // ------------------------------------------------------------------ export

  // The mask as a PNG at native size: white where the picture should change, on black.
  MaskEditor.prototype.toBlob = function (callback) {
    var out = canvas(this.W, this.H);
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.W, this.H);
    ctx.drawImage(this.mask, 0, 0);
    out.toBlob(callback, "image/png");
  };

  MaskEditor.prototype.isEmpty = function () {
    // Sample a reduced copy: a painted mask always shows up at 1/8 scale.
    var w = Math.max(1, Math.ceil(this.W / 8));
    var h = Math.max(1, Math.ceil(this.H / 8));
    var small = canvas(w, h);
    var ctx = small.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(this.mask, 0, 0, w, h);
    var d = ctx.getImageData(0, 0, w, h).data;
    for (var i = 3; i < d.length; i += 4) if (d[i] > 0) return false;
    return true;
  };

  MaskEditor.prototype.fileInput = function () {
    return document.querySelector('#op-form input[type="file"][name="mask"]');
  };

  // Put the current mask into the form's mask field, then call ``done``.
  MaskEditor.prototype.commit = function (done) {
    var input = this.fileInput();
    var self = this;
    if (!input || !this.dirty) { done(); return; }
    if (this.isEmpty()) {
      input.value = "";
      this.dirty = false;
      done();
      return;
    }
    this.say("Preparing the mask…");
    this.toBlob(function (blob) {
      var dt = new DataTransfer();
      dt.items.add(new File([blob], "mask.png", { type: "image/png" }));
      input.files = dt.files;
      self.dirty = false;
      self.say("");
      done();
    });
  };

  MaskEditor.prototype.download = function () {
    this.toBlob(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "mask.png";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    });
  };

  MaskEditor.prototype.changed = function () {
    this.dirty = true;
    this.render();
  };

  // ------------------------------------------------------------------ controls

  MaskEditor.prototype.setTool = function (tool) {
    this.tool = tool;
    this.root.querySelectorAll("[data-tool]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.tool === tool));
    });
    this.stage.dataset.tool = tool;
    this.render();
  };

  MaskEditor.prototype.setSize = function (size) {
    this.size = clamp(Math.round(size), 2, 400);
    var input = this.root.querySelector("[data-size]");
    var out = this.root.querySelector("[data-size-out]");
    if (input) input.value = String(this.size);
    if (out) out.textContent = String(this.size);
    this.render();
  };

  MaskEditor.prototype.syncControls = function () {
    var z = this.root.querySelector("[data-zoom-input]");
    if (z && document.activeElement !== z) z.value = String(Math.round(this.zoom * 100));
    var undo = this.root.querySelector('[data-action="undo"]');
    var redo = this.root.querySelector('[data-action="redo"]');
    if (undo) undo.disabled = this.index === 0;
    if (redo) redo.disabled = this.index >= this.history.length;
  };

  MaskEditor.prototype.bind = function () {
    var self = this;
    var root = this.root;
    root.querySelectorAll("[data-tool]").forEach(function (b) {
      b.addEventListener("click", function () { self.setTool(b.dataset.tool); });
    });
    var size = root.querySelector("[data-size]");
    size.addEventListener("input", function () { self.setSize(parseInt(size.value, 10)); });
    var hardness = root.querySelector("[data-hardness]");
    hardness.addEventListener("input", function () { self.hardness = parseInt(hardness.value, 10) / 100; });
    this.hardness = parseInt(hardness.value, 10) / 100;
    root.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var how = b.dataset.zoom;
        if (how === "in") self.zoomAt(self.zoom * 1.25);
        else if (how === "out") self.zoomAt(self.zoom / 1.25);
        else if (how === "fit") self.fit();
        else self.zoomAt(1);
      });
    });
    var zin = root.querySelector("[data-zoom-input]");
    zin.addEventListener("change", function () {
      var v = parseFloat(zin.value);
      if (v > 0) self.zoomAt(v / 100);
    });
    root.querySelectorAll("[data-action]").forEach(function (b) {
      b.addEventListener("click", function () {
        var what = b.dataset.action;
        if (what === "undo") self.undo();
        else if (what === "redo") self.redo();
        else if (what === "clear") self.clear();
        else if (what === "invert") self.invert();
        else if (what === "download") self.download();
        else if (what === "subject") {
          self.loadURL(root.dataset.subjectUrl, "select subject",
            "Subject selected: refine it with the brush and eraser.");
        }
      });
    });
    var colour = root.querySelector("[data-overlay-colour]");
    colour.addEventListener("input", function () { self.overlay.colour = colour.value; self.render(); });
    var opacity = root.querySelector("[data-overlay-opacity]");
    opacity.addEventListener("input", function () { self.overlay.opacity = parseInt(opacity.value, 10) / 100; self.render(); });
    var show = root.querySelector("[data-overlay-show]");
    show.addEventListener("change", function () { self.overlay.show = show.checked; self.render(); });
    this.showInput = show;
    var upload = root.querySelector("[data-mask-upload]");
    upload.addEventListener("change", function () {
      var file = upload.files && upload.files[0];
      if (!file) return;
      createImageBitmap(file).then(function (bitmap) {
        if (self.load(bitmap, "upload mask")) self.say("Mask loaded from " + file.name + ".");
      }, function () { self.say("That file is not an image we can read."); });
      upload.value = "";
    });

    var stage = this.stage;
    stage.addEventListener("pointerdown", function (e) { self.onDown(e); });
    stage.addEventListener("pointermove", function (e) { self.onMove(e); });
    stage.addEventListener("pointerup", function (e) { self.onUp(e); });
    stage.addEventListener("pointercancel", function (e) { self.onUp(e, true); });
    stage.addEventListener("pointerleave", function () { self.hover = null; self.render(); });
    stage.addEventListener("contextmenu", function (e) { e.preventDefault(); });
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      var p = self.stagePoint(e);
      var delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      self.zoomAt(self.zoom * Math.exp(-delta * 0.0015), p.x, p.y);
    }, { passive: false });
    stage.addEventListener("auxclick", function (e) { if (e.button === 1) e.preventDefault(); });
    window.addEventListener("resize", function () { self.resize(); });
    document.addEventListener("keydown", function (e) { self.onKey(e, true); });
    document.addEventListener("keyup", function (e) { self.onKey(e, false); });
  };

  MaskEditor.prototype.onKey = function (e, down) {
    var t = e.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) &&
      !(t.type === "range" || t.type === "checkbox" || t.type === "color");
    if (typing) return;
    if (e.code === "Space") {
      this.spaceDown = down;
      this.stage.classList.toggle("is-grab", down);
      if (this.root.contains(t) || t === document.body) e.preventDefault();
      return;
    }
    if (!down) return;
    var key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === "z") {
      e.preventDefault();
      if (e.shiftKey) this.redo(); else this.undo();
      return;
    }
    if ((e.ctrlKey || e.metaKey) && key === "y") { e.preventDefault(); this.redo(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (key === "b") this.setTool("brush");
    else if (key === "e") this.setTool("eraser");
    else if (key === "r") this.setTool("rect");
    else if (key === "l") this.setTool("lasso");
    else if (key === "i") this.invert();
    else if (key === "[") this.setSize(this.size / 1.2);
    else if (key === "]") this.setSize(this.size * 1.2);
    else if (key === "+" || key === "=") this.zoomAt(this.zoom * 1.25);
    else if (key === "-") this.zoomAt(this.zoom / 1.25);
    else if (key === "0") this.fit();
    else if (key === "1") this.zoomAt(1);
    else if (key === "h") { this.showInput.checked = !this.showInput.checked; this.overlay.show = this.showInput.checked; this.render(); }
    else return;
    e.preventDefault();
  };

  MaskEditor.prototype.onDown = function (e) {
    if (!this.ready) return;
    this.stage.focus({ preventScroll: true });
    var p = this.stagePoint(e);
    this.pointers.set(e.pointerId, p);
    try { this.stage.setPointerCapture(e.pointerId); } catch (err) { /* already released */ }
    e.preventDefault();
    if (e.pointerType === "touch" && this.pointers.size === 2) {
      // A second finger: the gesture pans and zooms; a stroke the first finger began is undone.
      if (this.action && this.action.box) this.cancelAction();
      this.startGesture();
      return;
    }
    if (this.pointers.size > 1) return;
    if (e.button === 1 || (e.button === 0 && this.spaceDown)) {
      this.action = { kind: "pan", last: p };
      this.stage.classList.add("is-panning");
      return;
    }
    if (e.button !== 0) return;
    var ip = this.toImage(p);
    var erase = this.tool === "eraser" || ((this.tool === "rect" || this.tool === "lasso") && e.altKey);
    if (this.tool === "brush" || this.tool === "eraser") {
      this.action = { kind: "stroke", erase: erase, box: this.beginChange(), lastImage: ip };
      this.stamp(ip, erase);
      this.render();
    } else if (this.tool === "rect") {
      this.action = { kind: "rect", erase: erase, start: p, last: p };
    } else if (this.tool === "lasso") {
      this.action = { kind: "lasso", erase: erase, points: [p] };
    }
  };

  MaskEditor.prototype.onMove = function (e) {
    var p = this.stagePoint(e);
    if (e.pointerType !== "touch") this.hover = p;
    if (!this.pointers.has(e.pointerId)) { this.render(); return; }
    this.pointers.set(e.pointerId, p);
    var a = this.action;
    if (!a) { this.render(); return; }
    if (a.kind === "gesture") { this.moveGesture(); return; }
    if (a.kind === "pan") {
      this.panBy(p.x - a.last.x, p.y - a.last.y);
      a.last = p;
      return;
    }
    var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    if (a.kind === "stroke") {
      for (var i = 0; i < events.length; i++) this.strokeTo(this.toImage(this.stagePoint(events[i])), a.erase);
      this.strokeTo(this.toImage(p), a.erase);
    } else if (a.kind === "rect") {
      a.last = p;
    } else if (a.kind === "lasso") {
      a.points.push(p);
    }
    this.render();
  };

  MaskEditor.prototype.onUp = function (e, canceled) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    var a = this.action;
    if (!a) return;
    if (a.kind === "gesture") {
      if (this.pointers.size < 2) this.action = this.pointers.size ? { kind: "done" } : null;
      return;
    }
    if (a.kind === "done") { if (!this.pointers.size) this.action = null; return; }
    this.action = null;
    this.stage.classList.remove("is-panning");
    if (canceled && a.box) {
      this.action = a;
      this.cancelAction();
      return;
    }
    var self = this;
    if (a.kind === "stroke") {
      this.endChange(a.box, a.erase ? "erase" : "brush stroke");
    } else if (a.kind === "rect") {
      var s = this.toImage(a.start);
      var t = this.toImage(a.last);
      if (Math.abs(t.x - s.x) >= 1 && Math.abs(t.y - s.y) >= 1) {
        this.fillShape(function (ctx, box) {
          var x0 = clamp(Math.min(s.x, t.x), 0, self.W);
          var y0 = clamp(Math.min(s.y, t.y), 0, self.H);
          var x1 = clamp(Math.max(s.x, t.x), 0, self.W);
          var y1 = clamp(Math.max(s.y, t.y), 0, self.H);
          ctx.rect(x0, y0, x1 - x0, y1 - y0);
          box.x0 = x0; box.y0 = y0; box.x1 = x1; box.y1 = y1;
        }, a.erase);
      }
    } else if (a.kind === "lasso" && a.points.length > 2) {
      var pts = a.points.map(function (q) { return self.toImage(q); });
      this.fillShape(function (ctx, box) {
        ctx.moveTo(pts[0].x, pts[0].y);
        pts.forEach(function (q) {
          ctx.lineTo(q.x, q.y);
          box.x0 = Math.min(box.x0, q.x); box.y0 = Math.min(box.y0, q.y);
          box.x1 = Math.max(box.x1, q.x); box.y1 = Math.max(box.y1, q.y);
        });
        ctx.closePath();
      }, a.erase);
    }
    this.render();
  };

  // Undo the unfinished action (its pixels come back from the copy taken when it began).
  MaskEditor.prototype.cancelAction = function () {
    var a = this.action;
    this.action = null;
    if (!a || !a.box || !this.scratch) return;
    this.mctx.save();
    this.mctx.globalCompositeOperation = "copy";
    this.mctx.drawImage(this.scratch, 0, 0);
    this.mctx.restore();
    this.render();
  };

  MaskEditor.prototype.startGesture = function () {
    var pts = Array.from(this.pointers.values());
    this.action = {
      kind: "gesture",
      mid: { x: (pts[0].x + pts[1].x) / 2, y: (pts[0].y + pts[1].y) / 2 },
      dist: Math.max(1, Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y)),
    };
  };

  MaskEditor.prototype.moveGesture = function () {
    var pts = Array.from(this.pointers.values());
    if (pts.length < 2) return;
    var a = this.action;
    var mid = { x: (pts[0].x + pts[1].x) / 2, y: (pts[0].y + pts[1].y) / 2 };
    var dist = Math.max(1, Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y));
    this.panBy(mid.x - a.mid.x, mid.y - a.mid.y);
    this.zoomAt(this.zoom * (dist / a.dist), mid.x, mid.y);
    a.mid = mid;
    a.dist = dist;
  };

  // ------------------------------------------------------------------ the form

  // Show the fields the chosen model takes; hide the others (the server ignores them too).
  function syncEngineFields(form) {
    var select = form.querySelector("select[name=engine][data-engine-fields]");
    if (!select) return;
    var map;
    try { map = JSON.parse(select.dataset.engineFields); } catch (err) { return; }
    var shown = map[select.value];
    if (!shown) return;
    form.querySelectorAll(".field[data-field]").forEach(function (field) {
      var name = field.dataset.field;
      field.hidden = shown.indexOf(name) === -1;
    });
  }

  var editor = null;

  function setupForm() {
    var form = document.getElementById("op-form");
    if (!form) return;
    // With the editor, the mask is painted on the picture: the upload field is hidden but
    // its messages still show.
    if (editor) {
      form.classList.add("has-mask-editor");
      // The browser must not block the form over a hidden field: the painted mask is put
      // into it just before sending, and the server says so when there is none.
      var input = form.querySelector('input[type="file"][name="mask"]');
      if (input) input.removeAttribute("required");
    }
    syncEngineFields(form);
    var select = form.querySelector("select[name=engine]");
    if (select && !select.dataset.bound) {
      select.dataset.bound = "1";
      select.addEventListener("change", function () { syncEngineFields(form); });
    }
    if (editor) editor.dirty = true; // a re-rendered form has an empty mask field
  }

  function init() {
    var root = document.querySelector("[data-mask-editor]");
    if (root && !editor && window.DataTransfer && window.createImageBitmap) {
      editor = new MaskEditor(root);
      window.maskEditor = editor;
    }
    setupForm();
  }

  // Before the form is sent, the painted mask goes into its mask field.
  document.addEventListener("htmx:confirm", function (e) {
    var form = e.detail && e.detail.elt;
    if (!editor || !form || form.id !== "op-form" || !editor.dirty) return;
    e.preventDefault();
    editor.commit(function () { e.detail.issueRequest(true); });
  });
  document.addEventListener("htmx:afterSwap", setupForm);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
