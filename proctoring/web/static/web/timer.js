/* The exam timer: counts down from the seconds left that the server gives, on the browser's
   monotonic clock (performance.now), so a wrong time of day in the browser changes nothing.
   Each tick is scheduled for the next whole second of the countdown: no drift. It asks the
   server again every data-poll-seconds (staff may pause or add time), announces the low and
   critical thresholds once in a polite live region, and at zero fires "time-up" on <body>
   (the exam page then submits and shows the result). Embedded (data-embed), it tells the
   host page "proctoring:time-low" and "proctoring:time-up" with postMessage. */
(function () {
  "use strict";

  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return [h, m, s].map(function (n) { return String(n).padStart(2, "0"); }).join(":");
  }

  function start(box) {
    if (box.dataset.timerStarted) { return; }
    box.dataset.timerStarted = "1";
    var display = box.querySelector("[data-timer-display]");
    var announce = box.querySelector("[data-timer-announce]");
    var pausedNote = box.querySelector("[data-timer-paused]");
    var low = Number(box.dataset.low) || 0;
    var critical = Number(box.dataset.critical) || 0;
    var pollMs = (Number(box.dataset.pollSeconds) || 10) * 1000;
    var origins = (box.dataset.origins || "").split(" ").filter(Boolean);
    var said = {};
    var ended = false; // time-up fired
    var paused, frozen, endAt, tickTimer, pollTimer;

    function post(type, remaining) {
      if (!("embed" in box.dataset) || window.parent === window) { return; }
      origins.forEach(function (origin) {
        window.parent.postMessage({ type: "proctoring:" + type, remaining_seconds: remaining }, origin);
      });
    }

    function say(key, remaining) {
      if (said[key]) { return; }
      said[key] = true;
      announce.textContent = announce.dataset[key + "Text"] || "";
      post(key === "up" ? "time-up" : "time-low", remaining);
    }

    function set(remaining, isPaused) {
      paused = isPaused;
      frozen = remaining;
      endAt = performance.now() + remaining * 1000;
      box.classList.toggle("paused", paused);
      if (pausedNote) { pausedNote.hidden = !paused; }
    }

    function left() {
      if (paused) { return frozen; }
      return Math.max(0, Math.ceil((endAt - performance.now()) / 1000));
    }

    function tick() {
      if (!box.isConnected) { clearTimeout(pollTimer); return; }
      var remaining = left();
      display.textContent = format(remaining);
      box.dataset.remaining = String(remaining);
      if (critical && remaining <= critical && remaining > 0) { said.low = true; say("critical", remaining); }
      else if (low && remaining <= low && remaining > 0) { say("low", remaining); }
      if (remaining === 0 && !paused && !ended) {
        ended = true;
        say("up", 0);
        document.body.dispatchEvent(new CustomEvent("time-up"));
      }
      var untilNext = paused ? 1000 : ((endAt - performance.now()) % 1000 + 1000) % 1000 || 1000;
      tickTimer = setTimeout(tick, untilNext + 5);
    }

    function poll() {
      if (!box.isConnected) { return; }
      fetch(box.dataset.clockUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (clock) {
          if (!clock) { return; }
          if (clock.completed) {
            // Ended here (time-up) or elsewhere (staff, the expiry job): show its page.
            document.dispatchEvent(new CustomEvent("attempt-ended"));
            return;
          }
          if (clock.remaining_seconds !== null) {
            set(clock.remaining_seconds, clock.paused);
            clearTimeout(tickTimer);
            tick();
          }
        })
        .catch(function () { /* offline: keep counting, ask again at the next poll */ })
        .then(function () { pollTimer = setTimeout(poll, pollMs); });
    }

    set(Number(box.dataset.remaining) || 0, box.dataset.paused === "true");
    tick();
    pollTimer = setTimeout(poll, pollMs);
  }

  function startAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-timer]").forEach(start);
    if (root.matches && root.matches("[data-timer]")) { start(root); }
  }

  // A finished attempt (ended by staff or the expiry job): show its page without a reload.
  document.addEventListener("attempt-ended", function () {
    var panel = document.getElementById("attempt-panel");
    if (panel && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname, { target: "#attempt-panel", swap: "outerHTML" });
    }
  });
  document.addEventListener("DOMContentLoaded", function () { startAll(document); });
  document.addEventListener("htmx:load", function (event) { startAll(event.detail.elt); });
})();
