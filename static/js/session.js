// The idle logout, seen from the page: a warning before it, "Stay signed in", typing as activity.
// The server decides (accounts.middleware.SessionTimeoutMiddleware); this only mirrors its clock.
// No text here: the dialog's words are in templates/base.html.
(function () {
  "use strict";
  var dialog = document.getElementById("idle-warning");
  if (!dialog) return;
  var timeout = parseInt(dialog.getAttribute("data-idle-timeout"), 10) || 900;
  var url = dialog.getAttribute("data-keep-alive-url");
  // Warn a minute before (a third of the timeout when it is shorter than three minutes).
  var lead = Math.min(60, Math.max(1, Math.floor(timeout / 3)));
  var lastContact = Date.now();
  var lastPing = 0;
  var warned = false;
  var ended = false;
  var left = dialog.querySelector("[data-idle-left]");

  function csrf() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) return input.value;
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function hide() {
    warned = false;
    if (dialog.open && dialog.close) dialog.close();
    dialog.removeAttribute("open");
  }

  // Any request the user caused refreshed the server's clock: form.js calls this after its saves.
  function touch() {
    lastContact = Date.now();
    hide();
  }

  function ping() {
    lastPing = Date.now();
    var sent = Date.now();
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    }).then(function (r) {
      if (r.redirected || !r.ok) throw new Error("session");
      lastContact = sent;
      hide();
      return r.json();
    });
  }

  function end() {
    // The server logs the session out on this request and asks for a new login that comes back here
    // (after replaceState, the draft's edit page).
    ended = true;
    window.location.assign(window.location.href);
  }

  function tick() {
    if (ended) return;
    var idle = (Date.now() - lastContact) / 1000;
    var remaining = Math.ceil(timeout - idle);
    if (remaining <= lead && !warned) {
      warned = true;
      if (left) left.textContent = String(Math.max(0, remaining));
      if (dialog.showModal && !dialog.open) dialog.showModal();
      else dialog.setAttribute("open", "");
      document.dispatchEvent(new CustomEvent("session:warning"));
    }
    if (warned && left) left.textContent = String(Math.max(0, remaining));
    if (remaining <= -1) {
      document.dispatchEvent(new CustomEvent("session:ending"));
      setTimeout(end, 600);
      ended = true;
    }
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", function () {
    ping().catch(function () { end(); });
  });
  // Typing is activity: a light ping, at most once a minute (or once per warning lead when shorter).
  function typed() {
    var gap = Math.min(60, lead) * 1000;
    if (!ended && Date.now() - lastPing > gap && Date.now() - lastContact > gap / 2) {
      ping().catch(function () {});
    }
  }
  document.addEventListener("input", typed, true);
  document.addEventListener("keydown", typed, true);

  window.sessionKeeper = { touch: touch, ping: ping };
  setInterval(tick, 1000);
})();
