// Place suggestions for any <input data-place-suggest="/api/v1/places/" list="…">: fetched as the monitor
// types (2+ letters), never inlined in the page (docs/places.md). Works for rows added later (delegation).
(function () {
  "use strict";
  var timers = new WeakMap();
  var lastQuery = new WeakMap();

  function datalistFor(input) {
    var id = input.getAttribute("list");
    if (!id) {
      id = (input.id || "place") + "-suggestions";
      input.setAttribute("list", id);
    }
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("datalist");
      list.id = id;
      input.insertAdjacentElement("afterend", list);
    }
    return list;
  }

  function fill(input, places) {
    var list = datalistFor(input);
    var ne = document.documentElement.lang === "ne";
    list.textContent = "";
    places.forEach(function (p) {
      var option = document.createElement("option");
      option.value = ne ? p.label_ne : p.label;
      option.label = ne ? p.label : p.label_ne;
      list.appendChild(option);
    });
  }

  function suggest(input) {
    var q = input.value.trim();
    if (q.length < 2 || lastQuery.get(input) === q) return;
    lastQuery.set(input, q);
    var url = input.getAttribute("data-place-suggest") + "?q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (places) { if (input.value.trim() === q) fill(input, places); })
      .catch(function () { lastQuery.delete(input); });
  }

  document.addEventListener("input", function (e) {
    var input = e.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-place-suggest")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { suggest(input); }, 250));
  });
})();
