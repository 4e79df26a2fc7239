// Suggestions under a person's name on the interception form (htmx): people the monitor may see who are
// probably the same human (docs/people.md "Match review"). Information only: nothing is merged, and
// nothing here is a form field, so autosave and the offline queue never see it. Without htmx or without a
// connection the form works as before.
(function () {
  "use strict";

  var FIELDS = ["phone", "age", "gender", "address_place"];

  // Nothing of the form stays in the browser's storage (tests/test_browser_form.py): htmx keeps the page's
  // path there when it loads, and its history cache is off (the page's htmx-config meta).
  try {
    window.sessionStorage.removeItem("htmx-current-path-for-history");
    window.sessionStorage.removeItem("htmx-history-cache");
  } catch (e) { /* storage unavailable: nothing was stored */ }

  function hook(input, url) {
    if (input.getAttribute("data-suggest-hooked")) return;
    var m = /^(.*)-full_name$/.exec(input.name || "");
    if (!m) return;
    var prefix = m[1];
    var include = FIELDS.map(function (f) { return '[name="' + prefix + "-" + f + '"]'; });
    include.push('[name="station"]');
    input.setAttribute("hx-get", url);
    input.setAttribute("hx-trigger", "input changed delay:500ms");
    input.setAttribute("hx-include", include.join(","));
    input.setAttribute("hx-target", "next [data-person-suggest]");
    input.setAttribute("hx-swap", "innerHTML");
    input.setAttribute("hx-sync", "this:replace");
    input.setAttribute("data-suggest-hooked", "1");
    if (window.htmx) window.htmx.process(input);
  }

  function hookAll(root, url) {
    root.querySelectorAll('input[name$="-full_name"]').forEach(function (input) {
      if (input.name.indexOf("__prefix__") === -1) hook(input, url);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var people = document.getElementById("people");
    var url = people && people.getAttribute("data-suggest-url");
    if (!people || !url || !window.htmx) return;
    hookAll(people, url);
    // The record being edited, or the draft autosave made of it (its edit URL): its own people are not
    // suggested to themselves.
    document.body.addEventListener("htmx:configRequest", function (e) {
      var elt = e.detail.elt;
      if (!elt || !elt.getAttribute || !elt.getAttribute("data-suggest-hooked")) return;
      var form = elt.form;
      var m = form && /\/interceptions\/(\d+)\//.exec(form.getAttribute("action") || "");
      if (m) e.detail.parameters.record = m[1];
    });
    // People rows added by the "+ Potential victim" / "+ Suspect" buttons (static/js/app.js)
    new MutationObserver(function () { hookAll(people, url); }).observe(people, { childList: true, subtree: true });
  });
})();
