// agora's own small script: live-feed catch-up and reconnect, and "copy receipt".
// Everything works without it; it only makes live updates resume where they stopped.
// Written against htmx 2 and htmx-ext-ws 2.0.4 (node_modules/htmx-ext-ws/dist/ws.js). Protocol: docs/live.md.
(function () {
  "use strict";
  var lastSeq = null; // the newest hall event this page shows (from #live-seq, then from each message)
  var attempts = 0; // our reconnects since the last successful open (ws.js keeps its own count)
  var SEQ_RE = /id="live-seq"[^>]*data-seq="(\d+)"/;

  function pageSeq() {
    var el = document.getElementById("live-seq");
    var n = el ? parseInt(el.getAttribute("data-seq"), 10) : NaN;
    return isNaN(n) ? null : n;
  }

  function withSince(url) {
    if (lastSeq === null) lastSeq = pageSeq();
    if (lastSeq === null) return url;
    var u = new URL(url, window.location.href);
    u.searchParams.set("since", String(lastSeq));
    return u.toString();
  }

  // ws.js asks htmx.createWebSocket(url) for every connection and reconnection, and only installs
  // its own factory when none is set. Install ours as soon as this (deferred) script runs: htmx
  // opens the sockets on DOMContentLoaded, which fires after every deferred script has run.
  function installSocketFactory() {
    if (!window.htmx || htmx.agoraLive) return;
    var original = htmx.createWebSocket;
    htmx.createWebSocket = function (url) {
      var target = withSince(url);
      if (original) return original(target);
      var sock = new WebSocket(target, []);
      if (htmx.config.wsBinaryType) sock.binaryType = htmx.config.wsBinaryType;
      return sock;
    };
    htmx.agoraLive = true;
  }

  function setStatus(state) {
    var status = document.getElementById("live-status");
    if (status) status.setAttribute("data-state", state);
  }

  function onMessage(evt) {
    var message = evt.detail && evt.detail.message;
    if (typeof message !== "string") return;
    if (message.indexOf('data-live-reload="1"') >= 0) {
      // Too much was missed to replay: the page itself is the current state.
      evt.preventDefault();
      window.location.reload();
      return;
    }
    var match = SEQ_RE.exec(message);
    if (match) lastSeq = Math.max(lastSeq || 0, parseInt(match[1], 10));
  }

  function onClose(evt) {
    setStatus("closed");
    var code = evt.detail && evt.detail.event ? evt.detail.event.code : 0;
    var wrapper = evt.detail && evt.detail.socketWrapper;
    var elt = evt.target;
    // ws.js reconnects by itself after 1006, 1011, 1012 and 1013. We add:
    // 4000 (we fell behind and were dropped) and 1001 (the server went away: restart, deploy).
    if ((code === 4000 || code === 1001) && wrapper && elt && document.body.contains(elt)) {
      var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts, 5))) * (0.5 + Math.random());
      attempts += 1;
      setTimeout(function () {
        if (document.body.contains(elt)) wrapper.reconnect();
      }, delay);
    } else if (code === 4403) {
      // Signed out elsewhere or no longer a member: let the server say what this page is now.
      window.location.reload();
    }
  }

  installSocketFactory();
  document.addEventListener("htmx:wsBeforeMessage", onMessage);
  document.addEventListener("htmx:wsOpen", function () {
    attempts = 0;
    setStatus("open");
  });
  document.addEventListener("htmx:wsClose", onClose);

  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (btn && navigator.clipboard) {
      navigator.clipboard.writeText(btn.getAttribute("data-copy"));
      btn.setAttribute("aria-pressed", "true");
    }
  });

  if (!window.htmx) document.addEventListener("DOMContentLoaded", installSocketFactory);
})();
