// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function runningScore(form) {
    var out = document.getElementById("running-score");
    if (!out) return;
    function update() {
      var total = 0;
      form.querySelectorAll('input[name="red_flags"]:checked').forEach(function (box) {
        total += parseInt(box.getAttribute("data-points"), 10) || 0;
      });
      out.textContent = String(total);
      // each collapsed group's summary: how many ticked in it and their points
      form.querySelectorAll("[data-flag-group]").forEach(function (group) {
        var ticked = 0, points = 0;
        group.querySelectorAll('input[name="red_flags"]:checked').forEach(function (box) {
          ticked += 1;
          points += parseInt(box.getAttribute("data-points"), 10) || 0;
        });
        var t = group.querySelector("[data-ticked]"), p = group.querySelector("[data-group-points]");
        if (t) t.textContent = String(ticked);
        if (p) p.textContent = String(points);
      });
    }
    form.addEventListener("change", function (e) {
      if (e.target && e.target.name === "red_flags") update();
    });
    update();
  }

  function addPeople(form) {
    var template = document.getElementById("person-template");
    var list = document.getElementById("people");
    var total = form.querySelector('input[name="people-TOTAL_FORMS"]');
    if (!template || !list || !total) return;
    form.querySelectorAll("[data-add-person]").forEach(function (button) {
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        var wrapper = document.createElement("div");
        wrapper.innerHTML = html.trim();
        var fieldset = wrapper.firstElementChild;
        var role = fieldset.querySelector('select[name$="-role"]');
        if (role) role.value = button.getAttribute("data-add-person");
        list.appendChild(fieldset);
        total.value = String(index + 1);
        var name = fieldset.querySelector('input[name$="-full_name"]');
        if (name) name.focus();
      });
    });
  }

  function submitOnce(form) {
    // A second tap while the first request is on its way does nothing; the server's
    // idempotency key covers retries after a dropped connection.
    form.addEventListener("submit", function (e) {
      if (form.dataset.sending === "1") {
        e.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      if (e.submitter && e.submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = e.submitter.name;
        hidden.value = e.submitter.value || "1";
        form.appendChild(hidden);
      }
      form.querySelectorAll('button[type="submit"]').forEach(function (b) {
        b.disabled = true;
      });
    });
    window.addEventListener("pageshow", function () {
      form.dataset.sending = "";
      form.querySelectorAll('button[type="submit"]').forEach(function (b) {
        b.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("interception-form");
    if (!form) return;
    runningScore(form);
    addPeople(form);
    submitOnce(form);
  });
})();

// Panels marked data-open-wide (the list's filters) start closed on a phone and open on a wide screen.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia || !window.matchMedia("(min-width: 720px)").matches) return;
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) {
      d.open = true;
    });
  });
})();

// Export progress: poll the job's JSON until it is done or failed.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("export-job");
    if (!box) return;
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("export-progress");
    var percent = document.getElementById("export-percent");
    var statusText = document.getElementById("export-status");
    var rowsText = document.getElementById("export-rows");
    var download = document.getElementById("export-download");
    var labels = { queued: "Queued", running: "Running", done: "Ready", failed: "Failed", expired: "Expired" };
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          bar.value = job.progress;
          percent.textContent = job.progress + " %";
          rowsText.textContent = String(job.row_count);
          statusText.textContent = labels[job.status] || job.status;
          if (job.status === "done") {
            download.hidden = false;
          } else if (job.status !== "failed" && job.status !== "expired") {
            setTimeout(poll, 1000);
          }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  });
})();
