// Transform page: record a speech clip in the browser (it lands in the file input like an
// upload), and read a chosen recording's length so the button's price follows it. The
// server measures the recording again before anything is held. Listeners sit on the
// document, so forms swapped in by htmx work too.
(function () {
  "use strict";

  function durationHint(input) {
    var form = input.form;
    var hint = form && form.querySelector('input[name="duration_hint"]');
    if (!hint || !input.files || !input.files[0]) return;
    var audio = document.createElement("audio");
    audio.preload = "metadata";
    var url = URL.createObjectURL(input.files[0]);
    audio.addEventListener("loadedmetadata", function () {
      if (isFinite(audio.duration)) {
        hint.value = String(Math.round(audio.duration * 10) / 10);
        hint.dispatchEvent(new Event("change", { bubbles: true }));
      }
      URL.revokeObjectURL(url);
    });
    audio.src = url;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-audio-input]")) {
      durationHint(event.target);
    }
  });

  function addRecorder(input) {
    if (input.dataset.recorder || !window.MediaRecorder || !navigator.mediaDevices) return;
    input.dataset.recorder = "1";
    var box = document.createElement("div");
    box.className = "audio-recorder";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = "Record a clip";
    var status = document.createElement("small");
    status.className = "muted";
    status.setAttribute("aria-live", "polite");
    box.appendChild(button);
    box.appendChild(status);
    input.insertAdjacentElement("afterend", box);
    var recorder = null;
    var chunks = [];
    var started = 0;
    button.addEventListener("click", function () {
      if (recorder && recorder.state === "recording") {
        recorder.stop();
        return;
      }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.addEventListener("dataavailable", function (e) { if (e.data.size) chunks.push(e.data); });
        recorder.addEventListener("stop", function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          var type = recorder.mimeType || "audio/webm";
          var ext = type.indexOf("ogg") >= 0 ? "ogg" : "webm";
          var file = new File(chunks, "recording." + ext, { type: type });
          var data = new DataTransfer();
          data.items.add(file);
          input.files = data.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
          button.textContent = "Record again";
          status.textContent = "Recorded " + Math.round((Date.now() - started) / 1000) + " s";
        });
        started = Date.now();
        recorder.start();
        button.textContent = "Stop recording";
        status.textContent = "Recording…";
      }).catch(function () {
        status.textContent = "The microphone is not available; upload a file instead.";
      });
    });
  }

  function scan(root) {
    (root || document).querySelectorAll("input[data-audio-input]").forEach(addRecorder);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
