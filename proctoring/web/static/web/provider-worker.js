/* The proctoring provider's JavaScript worker, run by the learner's running exam page (the
   reference's browser-side contract): the vendor's script runs in a Web Worker and answers
   messages. The page posts {type: "startExamAttempt"} once the exam runs (answer
   "examAttemptStarted"), {type: "endExamAttempt"} when it ends (answer "examAttemptEnded"),
   and {type: "ping", timeout: s} every ping_interval seconds (answer {type: "echo"} before
   the next ping). A ping not answered in time, or a worker that fails, is reported to
   POST /api/v1/attempts/{id}/ping-missed, which records it for the review. The vendor's
   script may live on its own origin: the Web Worker is made from a blob: that imports it
   (the running page's Content-Security-Policy allows that origin, on that page only). */
(function () {
  "use strict";

  function run(host) {
    if (host.dataset.workerStarted || !window.Worker) { return; }
    host.dataset.workerStarted = "1";
    var intervalMs = Math.max(1, Number(host.dataset.pingInterval) || 30) * 1000;
    var missedUrl = host.dataset.pingMissedUrl;
    var source = "importScripts(" + JSON.stringify(new URL(host.dataset.workerUrl, location.href).href) + ");";
    var worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
    var waiting = {}; // answer type -> callback
    var pingTimer, answered = true, ended = false;

    function report(detail) {
      host.dataset.pingsMissed = String((Number(host.dataset.pingsMissed) || 0) + 1);
      fetch(missedUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": host.dataset.csrf },
        body: JSON.stringify({ detail: detail })
      }).catch(function () { /* the next missed ping reports again */ });
    }

    function ask(type, answer, then) {
      waiting[answer] = then || function () {};
      worker.postMessage({ type: type });
    }

    worker.addEventListener("message", function (event) {
      var type = event.data && event.data.type;
      if (type === "echo") { answered = true; host.dataset.pingsAnswered = String((Number(host.dataset.pingsAnswered) || 0) + 1); }
      var then = waiting[type];
      if (then) { delete waiting[type]; then(); }
    });
    worker.addEventListener("error", function (event) {
      event.preventDefault();
      report("The provider's worker failed: " + (event.message || "its script did not load") + ".");
      stop();
    });

    function ping() {
      if (!host.isConnected) { end(); return; }
      if (!answered) { report("The provider's worker did not answer a ping within " + intervalMs / 1000 + " seconds."); }
      answered = false;
      worker.postMessage({ type: "ping", timeout: intervalMs / 1000 });
    }

    function stop() {
      clearInterval(pingTimer);
      ended = true;
    }

    function end() {
      if (ended) { return; }
      stop();
      ask("endExamAttempt", "examAttemptEnded", function () { worker.terminate(); });
    }

    // The exam page's panel is replaced when the exam ends (by the learner, the timer, staff):
    // the worker is told then.
    new MutationObserver(function () { if (!host.isConnected) { end(); } })
      .observe(document.body, { childList: true, subtree: true });

    ask("startExamAttempt", "examAttemptStarted", function () { host.dataset.workerState = "started"; });
    ping();
    pingTimer = setInterval(ping, intervalMs);
  }

  function scan() {
    var host = document.getElementById("provider-worker");
    if (host) { run(host); }
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();
