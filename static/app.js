// agora's own small script: live-feed catch-up and reconnect, "copy receipt", print, and the
// ballot's confirmation in place.
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

  // A hall's events go to every page of the hall, and each page shows only some of the fragments
  // (a comment page has no turnout meter, a concern's page has no list row). htmx logs an error for
  // every out-of-band element whose target is missing, so this extension (hx-ext="ws, live-targets")
  // drops those before the swap. An element marked data-reload="1" whose target is on the page (the
  // count is out) reloads the page: the page is then the current state.
  function oobSelector(el) {
    var spec = el.getAttribute("hx-swap-oob") || "true";
    var colon = spec.indexOf(":");
    if (colon > 0) return spec.slice(colon + 1);
    return el.id ? "#" + CSS.escape(el.id) : null;
  }

  function keepShown(text) {
    if (typeof text !== "string" || text.indexOf("<") < 0) return text;
    var holder = document.createElement("template");
    holder.innerHTML = text;
    var reload = false;
    Array.prototype.slice.call(holder.content.children).forEach(function (el) {
      var selector = oobSelector(el);
      var target = null;
      try { target = selector ? document.querySelector(selector) : null; } catch (e) { target = null; }
      if (!target) { el.remove(); return; }
      if (el.getAttribute("data-reload") === "1") reload = true;
    });
    if (reload) setTimeout(function () { window.location.reload(); }, 0);
    return holder.innerHTML;
  }

  function defineExtension() {
    if (!window.htmx || htmx.agoraTargets) return;
    htmx.defineExtension("live-targets", { transformResponse: keepShown });
    htmx.agoraTargets = true;
  }

  installSocketFactory();
  defineExtension();
  document.addEventListener("htmx:wsBeforeMessage", onMessage);
  document.addEventListener("htmx:wsOpen", function () {
    attempts = 0;
    setStatus("open");
  });
  document.addEventListener("htmx:wsClose", onClose);

  // "Copy the receipt": copy, then say so (role=status) — a silent button leaves people unsure.
  function copied(btn) {
    var status = document.getElementById(btn.getAttribute("aria-describedby") || "");
    if (status) status.textContent = btn.getAttribute("data-copied") || "";
    btn.setAttribute("aria-pressed", "true");
  }

  // Plain http on a local network, or a refused permission: select a hidden field and copy that.
  function legacyCopy(btn, text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    try { if (document.execCommand("copy")) copied(btn); } catch (e) { /* nothing to copy with */ }
    document.body.removeChild(field);
    btn.focus();
  }

  function copyText(btn) {
    var text = btn.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(btn); }, function () { legacyCopy(btn, text); });
    } else {
      legacyCopy(btn, text);
    }
  }

  document.addEventListener("click", function (evt) {
    if (!evt.target.closest) return;
    var btn = evt.target.closest("[data-copy]");
    if (btn) { copyText(btn); return; }
    if (evt.target.closest("[data-print]")) window.print();
  });

  // The ballot: choosing an option shows the confirmation in place (tap two casts it).
  document.addEventListener("change", function (evt) {
    var radio = evt.target;
    if (!radio.matches || !radio.matches("form[data-confirm-in-place] input[type=radio]")) return;
    var form = radio.form;
    var here = form.querySelector(".confirm-here");
    var next = form.querySelector(".continue-step");
    var chosen = form.querySelector("[data-chosen]");
    if (!here || !chosen) return;
    chosen.textContent = radio.getAttribute("data-label") || radio.value;
    here.hidden = false;
    if (next) next.hidden = true;
  });

  function showScriptOnly() {
    var els = document.querySelectorAll("[data-print]");
    for (var i = 0; i < els.length; i++) els[i].hidden = false;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showScriptOnly);
  else showScriptOnly();

  // A receipt or invitation QR code carries its code in the fragment (#receipt=… or #code=…), which
  // browsers never send to the server (nor into its logs): fill the form's field from it, then drop it.
  function fillFromFragment() {
    var m = /^#(receipt|code)=([A-Za-z0-9-]{1,40})$/.exec(window.location.hash || "");
    if (!m) return;
    var field = document.querySelector(m[1] === "code" ? "input[name=invite]" : "input[name=receipt]");
    if (field && !field.value) field.value = m[2];
    if (window.history && history.replaceState) history.replaceState(null, "", window.location.pathname);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillFromFragment);
  else fillFromFragment();

  if (!window.htmx) {
    document.addEventListener("DOMContentLoaded", installSocketFactory);
    document.addEventListener("DOMContentLoaded", defineExtension);
  }
})();
