/* Browser proctoring (docs/browser-proctoring.md), two parts, each started by its host element:

   - #browser-setup, the consent page: "Run the checks" asks for the camera (when the exam
     needs it) and checks that full screen is possible; the results go with the consent form.
   - #browser-observer, the running exam page of a browser-proctored attempt: it observes what
     the exam's settings ask (visibility and focus, full screen, copy/cut/paste/context menu,
     the window's size, a second screen, the network, webcam snapshots at an interval) and
     sends it in batches to the attempt's events endpoint every few seconds; an empty batch is
     the page's heartbeat. Every event and snapshot has an id made here, so a batch that failed
     is sent again as it was (the server keeps each id once). The page stops when its panel is
     replaced (the exam ended) or when the server answers that the attempt has ended. */
(function () {
  "use strict";

  var counter = 0;
  function newId(prefix) {
    counter += 1;
    return prefix + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10) + "-" + counter;
  }

  function incr(host, name) { host.dataset[name] = String((Number(host.dataset[name]) || 0) + 1); }

  /* The consent page's checks. */
  function setup(host) {
    if (host.dataset.ready) { return; }
    host.dataset.ready = "1";
    var form = document.getElementById("browser-consent");
    var button = form && form.querySelector("[data-run-checks]");
    if (!button) { return; }
    function show(name, ok, text) {
      var item = host.querySelector('[data-check="' + name + '"] [data-check-result]');
      if (item) { item.textContent = text; item.dataset.ok = ok ? "1" : "0"; }
      form.elements[name].value = ok ? "ok" : "";
    }
    button.addEventListener("click", function () {
      var fullscreen = !!(document.fullscreenEnabled && document.documentElement.requestFullscreen);
      show("fullscreen", fullscreen, fullscreen ? "ok" : "not possible in this browser");
      if (host.dataset.cameraRequired !== "1") { show("camera", true, "not needed"); host.dataset.checked = "1"; return; }
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        show("camera", false, "this browser gives no camera"); host.dataset.checked = "1"; return;
      }
      navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then(function (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        show("camera", true, "ok");
        host.dataset.checked = "1";
      }, function (error) {
        show("camera", false, "not available (" + (error && error.name || "refused") + ")");
        host.dataset.checked = "1";
      });
    });
  }

  /* The running exam page's observation. */
  function observe(host) {
    if (host.dataset.observing) { return; }
    host.dataset.observing = "1";
    var d = host.dataset;
    var on = function (name) { return d[name] === "1"; };
    var flushMs = Math.max(1, Number(d.flush) || 10) * 1000;
    var queue = [], shots = [], stopped = false, timers = [], stream = null;

    function record(type, data) {
      if (stopped) { return; }
      queue.push({ id: newId("e"), type: type, at: Date.now(), data: data || {} });
      incr(host, "eventsRecorded");
    }

    var inflight = null; // the batch being sent: a promise, settled when its answer is read

    function flush() {
      if (stopped) { return Promise.resolve(); }
      if (inflight) { return inflight; }
      var events = queue.splice(0, 400), images = shots.splice(0, 2);
      if (!events.length && !images.length) {
        events.push({ id: newId("h"), type: "heartbeat", at: Date.now(), data: {} });
      }
      inflight = fetch(d.eventsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf },
        body: JSON.stringify({ events: events, snapshots: images })
      }).then(function (response) {
        inflight = null;
        if (response.ok) {
          incr(host, "batchesSent");
          d.eventsSent = String((Number(d.eventsSent) || 0) + events.length);
          d.snapshotsSent = String((Number(d.snapshotsSent) || 0) + images.length);
          if (queue.length || shots.length) { return flush(); }
        } else if (response.status === 410 || response.status === 409 || response.status === 404 || response.status === 403) {
          stop(); // the attempt has ended (or is not this learner's): nothing more to send
        } else if (response.status === 429 || response.status >= 500) {
          queue = events.concat(queue); shots = images.concat(shots); // the same ids, later
        } else {
          incr(host, "batchesRefused"); // malformed or too big: sending it again would not help
        }
      }, function () {
        inflight = null;
        queue = events.concat(queue); shots = images.concat(shots);
      });
      return inflight;
    }

    // Before the exam ends (the learner's "End my exam", or time up), what is queued is sent:
    // the server refuses batches once the attempt has ended. Waits 3 s at most.
    function drain() {
      var sent = (inflight || Promise.resolve()).then(function () {
        return queue.length || shots.length ? flush() : null;
      });
      return Promise.race([sent, new Promise(function (resolve) { setTimeout(resolve, 3000); })]);
    }

    document.body.addEventListener("htmx:confirm", function (event) {
      var form = event.target.closest && event.target.closest("#end-exam, #time-up");
      if (stopped || !form) { return; }
      event.preventDefault(); // issueRequest(false) asks hx-confirm's question, then posts
      drain().then(function () { event.detail.issueRequest(false); });
    });

    function stop() {
      if (stopped) { return; }
      stopped = true;
      d.observerState = "stopped";
      timers.forEach(clearInterval);
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    }

    var fullscreenBox = document.getElementById("browser-fullscreen");
    function showFullscreenButton() {
      if (fullscreenBox) { fullscreenBox.hidden = !on("fullscreenRequired") || !!document.fullscreenElement; }
    }

    if (on("focus")) {
      document.addEventListener("visibilitychange", function () {
        record(document.visibilityState === "hidden" ? "page_hidden" : "page_visible");
      });
      window.addEventListener("blur", function () { record("window_blur"); });
      window.addEventListener("focus", function () { record("window_focus"); });
    }
    if (on("fullscreen")) {
      document.addEventListener("fullscreenchange", function () {
        record(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit");
        showFullscreenButton();
      });
    }
    if (fullscreenBox) {
      fullscreenBox.querySelector("button").addEventListener("click", function () {
        if (document.documentElement.requestFullscreen) {
          document.documentElement.requestFullscreen().catch(function () { record("fullscreen_exit", { refused: true }); });
        }
      });
      showFullscreenButton();
    }
    if (on("clipboard")) {
      ["copy", "cut", "paste"].forEach(function (type) {
        document.addEventListener(type, function () { record(type); });
      });
      document.addEventListener("contextmenu", function () { record("context_menu"); });
    }
    if (on("windowSize")) {
      var minWidth = Number(d.minWidth) || 0, minHeight = Number(d.minHeight) || 0, small = false;
      var checkSize = function () {
        var now = window.innerWidth < minWidth || window.innerHeight < minHeight;
        if (now && !small) { record("window_small", { width: window.innerWidth, height: window.innerHeight }); }
        small = now;
      };
      window.addEventListener("resize", checkSize);
      checkSize();
    }
    if (on("screens") && window.screen && typeof window.screen.isExtended === "boolean") {
      record("screens", { count: window.screen.isExtended ? 2 : 1 });
      if (window.screen.addEventListener) {
        window.screen.addEventListener("change", function () { record("screens", { count: window.screen.isExtended ? 2 : 1 }); });
      }
    }
    window.addEventListener("offline", function () { record("network_offline"); });
    window.addEventListener("online", function () { record("network_online"); flush(); });

    if (on("camera") && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      var video = document.createElement("video");
      var canvas = document.createElement("canvas");
      canvas.width = 320; canvas.height = 240;
      video.muted = true; video.playsInline = true;
      var snap = function () {
        if (stopped || !video.videoWidth) { return; }
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        shots.push({ id: newId("s"), kind: "camera", at: Date.now(), image: canvas.toDataURL("image/jpeg", 0.7) });
        incr(host, "snapshotsTaken");
      };
      navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false }).then(function (media) {
        if (stopped) { media.getTracks().forEach(function (track) { track.stop(); }); return; }
        stream = media;
        media.getVideoTracks().forEach(function (track) {
          track.addEventListener("ended", function () { record("camera_error", { reason: "ended" }); });
        });
        video.srcObject = media;
        video.play().then(function () {
          setTimeout(snap, 300);
          timers.push(setInterval(snap, Math.max(1, Number(d.snapshotInterval) || 60) * 1000));
        }, function () { record("camera_error", { reason: "play" }); });
      }, function (error) {
        record("camera_error", { reason: (error && error.name) || "refused" });
      });
    }

    new MutationObserver(function () {
      if (!host.isConnected) { flush(); stop(); }
    }).observe(document.body, { childList: true, subtree: true });

    record("started", { width: window.innerWidth, height: window.innerHeight });
    d.observerState = "running";
    flush();
    timers.push(setInterval(flush, flushMs));
  }

  function scan() {
    var setupHost = document.getElementById("browser-setup");
    if (setupHost) { setup(setupHost); }
    var host = document.getElementById("browser-observer");
    if (host) { observe(host); }
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();
