// The interception form survives the field (docs/interceptions.md "Autosave and saving twice"):
// autosave as a server draft, retries when the connection drops, Enter does not submit, Cancel asks,
// the error summary takes the focus. Nothing is kept in the browser's storage. No text here: the
// messages come from the page (#form-messages, translated on the server).
(function () {
  "use strict";
  var form = document.getElementById("interception-form");
  if (!form) return;
  var statusLine = document.getElementById("save-status");
  var messagesNode = document.getElementById("form-messages");
  var text = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  var autosaveUrl = form.getAttribute("data-autosave-url") || "";
  var keepAliveUrl = form.getAttribute("data-keep-alive-url") || "";
  var INTERVAL = 20000;
  var dirty = false; // changed since the last save began
  var changedSinceLoad = false;
  var inFlight = null; // the save on its way (one at a time)
  var token = ""; // one per save; a retry of the same save keeps it (the server recognises its own save)
  var retryDelay = 0;
  var retryTimer = null;
  var stopped = false;
  var draft = null;

  function field(name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function say(message, kind) {
    if (!statusLine) return;
    statusLine.textContent = message;
    statusLine.className = "save-status" + (kind ? " " + kind : "");
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, k) {
      return values[k] != null ? values[k] : "";
    });
  }

  function csrf() {
    var input = field("csrfmiddlewaretoken");
    return input ? input.value : "";
  }

  function newToken() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function errorsText(errors) {
    return (errors || []).map(function (e) {
      return (e.label ? e.label + ": " : "") + e.message;
    }).join(" · ");
  }

  function applyDraft(d) {
    draft = d;
    var version = field("version");
    if (version) version.value = String(d.version);
    (d.people || []).forEach(function (p) {
      var id = field("people-" + p.index + "-id");
      if (id) id.value = String(p.id);
    });
    form.setAttribute("action", d.edit_url);
    if (d.autosave_url) autosaveUrl = d.autosave_url;
    if (window.location.pathname !== d.edit_url) {
      window.history.replaceState(window.history.state, "", d.edit_url);
    }
    var tokenInput = field("autosave_token");
    if (tokenInput) tokenInput.value = token;
  }

  function scheduleRetry() {
    retryDelay = retryDelay ? Math.min(retryDelay * 2, 60000) : 2000;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      save({ retry: true }).catch(function () {});
    }, retryDelay);
  }

  function send(background) {
    var body = new FormData(form);
    body.set("autosave_token", token);
    body.delete("submit");
    body.delete("save");
    var headers = { "X-CSRFToken": csrf(), Accept: "application/json" };
    if (background) headers["X-Background-Request"] = "1";
    return fetch(autosaveUrl, { method: "POST", body: body, credentials: "same-origin", headers: headers });
  }

  // Save now. Resolves with the draft {id, version, number, edit_url, people: [{index, id}]}.
  function save(options) {
    options = options || {};
    if (!autosaveUrl || stopped) return Promise.reject(new Error("autosave off"));
    if (inFlight) {
      return inFlight.catch(function () {}).then(function () { return save(options); });
    }
    if (!options.retry) token = newToken();
    dirty = false;
    say(text.saving);
    inFlight = send(options.background)
      .then(
        function (r) {
          var type = r.headers.get("Content-Type") || "";
          if (r.redirected || type.indexOf("application/json") === -1) {
            dirty = true;
            say(text.logged_out, "warn");
            throw new Error("logged out");
          }
          return r.json().then(function (d) {
            retryDelay = 0;
            if (r.status === 409) {
              stopped = true;
              say(text.conflict, "warn");
              throw new Error("conflict");
            }
            if (!d.saved) {
              dirty = true;
              say(text.not_saved + " " + errorsText(d.errors), "warn");
              throw new Error("not saved");
            }
            applyDraft(d);
            if (!options.background && window.sessionKeeper) window.sessionKeeper.touch();
            var message = d.errors && d.errors.length
              ? fill(text.saved_except, { time: d.saved_at }) + " " + errorsText(d.errors)
              : fill(text.saved, { time: d.saved_at });
            say(message, d.errors && d.errors.length ? "warn" : "ok");
            return d;
          });
        },
        function (error) {
          // No connection: what was typed stays on the page; the same save is tried again.
          dirty = true;
          say(text.offline, "warn");
          scheduleRetry();
          throw error;
        }
      )
      .finally(function () { inFlight = null; });
    return inFlight;
  }

  window.interceptionDraft = {
    save: function () {
      if (draft && !dirty && !inFlight) return Promise.resolve(draft);
      return save();
    },
  };

  function changed() {
    dirty = true;
    changedSinceLoad = true;
  }
  form.addEventListener("input", changed);
  var changeTimer = null;
  form.addEventListener("change", function () {
    changed();
    clearTimeout(changeTimer);
    changeTimer = setTimeout(function () {
      if (!retryTimer) save().catch(function () {});
    }, 800);
  });
  form.addEventListener("focusout", function () {
    if (dirty && !inFlight && !retryTimer) save().catch(function () {});
  });
  setInterval(function () {
    if (dirty && !inFlight && !retryTimer) save().catch(function () {});
  }, INTERVAL);
  // Before the idle logout: save what is there, without counting as activity.
  function flush() {
    if (dirty) save({ background: true }).catch(function () {});
  }
  document.addEventListener("session:warning", flush);
  document.addEventListener("session:ending", flush);

  // Enter in a one-line field does not submit (a textarea still takes new lines).
  form.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "Enter" && t && t.tagName === "INPUT" && !/^(submit|button|image|reset)$/.test(t.type)) {
      e.preventDefault();
    }
  });

  // Cancel on a changed form asks first.
  form.querySelectorAll("[data-cancel]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (changedSinceLoad && !window.confirm(text.cancel)) e.preventDefault();
    });
  });

  // Save / Submit: first make sure the server can be reached (and wait for an autosave on its way), so
  // a dropped connection shows the status line and retries instead of the browser's error page.
  var checked = false;
  form.addEventListener("submit", function (e) {
    if (checked) return;
    e.preventDefault();
    var submitter = e.submitter;
    if (submitter && submitter.name && !form.querySelector('input[type="hidden"][name="' + submitter.name + '"]')) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value || "1";
      form.appendChild(hidden);
    }
    var delay = 0;
    function attempt() {
      say(text.sending);
      var pending = inFlight ? inFlight.catch(function () {}) : Promise.resolve();
      pending
        .then(function () {
          return fetch(keepAliveUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
          });
        })
        .then(
          function () {
            checked = true;
            var tokenInput = field("autosave_token");
            if (tokenInput) tokenInput.value = token;
            clearTimeout(retryTimer);
            stopped = true; // the page is leaving: no autosave after this
            HTMLFormElement.prototype.submit.call(form);
          },
          function () {
            say(text.offline, "warn");
            delay = delay ? Math.min(delay * 2, 60000) : 2000;
            setTimeout(attempt, delay);
          }
        );
    }
    attempt();
  });

  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      checked = false;
      stopped = false;
    }
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
