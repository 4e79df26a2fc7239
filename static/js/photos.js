// Photos from a phone on a slow connection: resized in the browser before upload (longest side at most
// 1600 px, JPEG at quality 0.8, EXIF orientation applied; re-encoding also drops the camera's metadata such
// as its GPS position), sent with a progress bar, with a retry after a failure.
//  - On the interception form each person row has "Add photo": the draft is saved first
//    (window.interceptionDraft.save(), form.js) to get the record's id and the person's id, then the photo
//    is uploaded to that record for that person.
//  - On the record page, a photo chosen in the attachment form is resized and sent the same way.
// Progressive enhancement: without this file the record page's form uploads the original file. All
// user-visible text comes from the page (#photo-messages, built with {% translate %}).
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.8;

  function messages() {
    var el = document.getElementById("photo-messages");
    try {
      return el ? JSON.parse(el.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        resolve(img);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("decode"));
      };
      img.src = url;
    });
  }

  // A JPEG whose longest side is at most MAX_SIDE.
  function resize(file) {
    return decode(file).then(function (image) {
      var w = image.width, h = image.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a transparent PNG becomes white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob);
          else reject(new Error("encode"));
        }, "image/jpeg", QUALITY);
      });
    });
  }

  function photoName(file) {
    var base = (file.name || "photo").replace(/\.[^.]*$/, "") || "photo";
    return base.slice(0, 180) + ".jpg";
  }

  function csrfToken(root) {
    var input = (root || document).querySelector('input[name="csrfmiddlewaretoken"]') ||
      document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  // POST the photo (multipart field "file", optional "interceptee") and report progress 0..100.
  // Resolves with the answer's JSON (or {}), rejects with {status, message}.
  function upload(url, blob, name, fields, token, onProgress) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("file", blob, name);
      Object.keys(fields || {}).forEach(function (k) {
        if (fields[k] !== undefined && fields[k] !== null) data.append(k, fields[k]);
      });
      data.append("csrfmiddlewaretoken", token);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) onProgress(Math.min(99, Math.round((e.loaded / e.total) * 100)));
      };
      xhr.onload = function () {
        var body = {};
        try {
          body = JSON.parse(xhr.responseText || "{}");
        } catch (e) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300 && body && body.saved !== false) {
          onProgress(100);
          resolve(body);
        } else {
          reject({ status: xhr.status, message: errorText(body) });
        }
      };
      xhr.onerror = function () {
        reject({ status: 0, message: "" });
      };
      xhr.ontimeout = xhr.onerror;
      xhr.send(data);
    });
  }

  function errorText(body) {
    if (!body) return "";
    if (typeof body.error === "string") return body.error;
    if (body.error && typeof body.error.message === "string") return body.error.message;
    var errors = body.errors || body.error && body.error.details || body;
    var parts = [];
    if (Array.isArray(errors)) {
      errors.forEach(function (e) {
        if (e && e.message) parts.push(e.message);
        else if (typeof e === "string") parts.push(e);
      });
    } else if (errors && typeof errors === "object") {
      Object.keys(errors).forEach(function (k) {
        var v = errors[k];
        if (Array.isArray(v)) parts.push(v.join(" "));
        else if (typeof v === "string") parts.push(v);
      });
    }
    return parts.join(" ");
  }

  function failureText(msg, err) {
    if (err && err.status === 0) return msg.offline || "";
    return (msg.failed || "") + (err && err.message ? " " + err.message : "");
  }

  // --- the interception form: one "Add photo" per person row ------------------------------------------

  function rowIndex(box) {
    var named = box.closest("[data-person]").querySelector('[name^="people-"][name$="-full_name"]');
    var m = named && /^people-(\d+)-/.exec(named.name);
    return m ? parseInt(m[1], 10) : null;
  }

  function setupPersonPhoto(box, form, msg) {
    if (box.dataset.photoReady) return;
    box.dataset.photoReady = "1";
    var input = box.querySelector("[data-photo-input]");
    var bar = box.querySelector("[data-photo-progress]");
    var status = box.querySelector("[data-photo-status]");
    var retry = box.querySelector("[data-photo-retry]");
    var add = box.querySelector("[data-photo-add]");
    var pending = null; // {blob, name} kept in memory only, for a retry
    if (add) add.hidden = false; // without this script there is no way to send a photo from the form

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("error", !!isError);
    }

    function send(attempt) {
      if (!pending) return;
      attempt = typeof attempt === "number" ? attempt : 1;
      retry.hidden = true;
      bar.hidden = false;
      bar.value = 0;
      say(msg.saving_draft);
      var draft = window.interceptionDraft;
      if (!draft || typeof draft.save !== "function") {
        say(msg.no_draft, true);
        retry.hidden = false;
        return;
      }
      var index = rowIndex(box);
      Promise.resolve()
        .then(function () {
          return draft.save();
        })
        .then(function (saved) {
          var person = (saved && saved.people || []).filter(function (p) {
            return p.index === index;
          })[0];
          if (!saved || !saved.id) throw { status: 0, message: "" };
          if (!person || !person.id) throw { status: 400, message: msg.name_first, named: true };
          var url = form.getAttribute("data-photo-upload-url").replace(/\/0\//, "/" + saved.id + "/");
          say(msg.uploading);
          return upload(url, pending.blob, pending.name, { interceptee: person.id }, csrfToken(form),
            function (p) { bar.value = p; });
        })
        .then(function () {
          pending = null;
          bar.value = 100;
          say(msg.added);
          box.classList.add("has-photo");
          input.value = "";
        })
        .catch(function (err) {
          if (err && err.status >= 500 && attempt < 2) {
            // a server error is often passing (the draft was being saved at that moment): once more, soon
            setTimeout(function () { send(attempt + 1); }, 1500);
            return;
          }
          say(err && err.named ? err.message : failureText(msg, err), true);
          retry.hidden = false;
        });
    }

    // the file input is not part of the record: keep its events from marking the form as changed
    input.addEventListener("input", function (e) {
      e.stopPropagation();
    });
    input.addEventListener("change", function (e) {
      e.stopPropagation();
      var file = input.files && input.files[0];
      if (!file) return;
      say(msg.resizing);
      bar.hidden = false;
      bar.value = 0;
      resize(file)
        .then(function (blob) {
          pending = { blob: blob, name: photoName(file) };
          send(1);
        })
        .catch(function () {
          say(msg.not_an_image, true);
          bar.hidden = true;
        });
    });
    retry.addEventListener("click", function () {
      send(1);
    });
  }

  function setupForm(form, msg) {
    var people = document.getElementById("people") || form;
    people.querySelectorAll("[data-photo]").forEach(function (box) {
      setupPersonPhoto(box, form, msg);
    });
    // rows added with "+ Potential victim" / "+ Suspect"
    if (window.MutationObserver) {
      new MutationObserver(function () {
        people.querySelectorAll("[data-photo]").forEach(function (box) {
          setupPersonPhoto(box, form, msg);
        });
      }).observe(people, { childList: true, subtree: true });
    }
  }

  // --- the record page's attachment form --------------------------------------------------------------

  function setupAttachmentForm(form, msg) {
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-photo-progress]");
    var status = form.querySelector("[data-photo-status]");
    var retry = form.querySelector("[data-photo-retry]");
    if (!input || !bar || !status) return;
    var pending = null;

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("error", !!isError);
    }

    function send() {
      if (!pending) return;
      if (retry) retry.hidden = true;
      bar.hidden = false;
      bar.value = 0;
      say(msg.uploading);
      var fields = {};
      var who = form.querySelector('[name="interceptee"]');
      if (who && who.value) fields.interceptee = who.value;
      upload(form.action, pending.blob, pending.name, fields, csrfToken(form), function (p) {
        bar.value = p;
      })
        .then(function () {
          pending = null;
          say(msg.added);
          window.location.reload(); // the list of attachments and the page's message
        })
        .catch(function (err) {
          say(failureText(msg, err), true);
          if (retry) retry.hidden = false;
        });
    }

    form.addEventListener("submit", function (e) {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type) || !/jpe?g|png|webp|heic|heif/i.test(file.type)) return;
      e.preventDefault();
      say(msg.resizing);
      resize(file)
        .then(function (blob) {
          pending = { blob: blob, name: photoName(file) };
          send();
        })
        .catch(function () {
          // not an image the browser can read: send the file as chosen
          form.submit();
        });
    });
    if (retry) retry.addEventListener("click", send);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var msg = messages();
    var form = document.getElementById("interception-form");
    if (form && form.hasAttribute("data-photo-upload-url")) setupForm(form, msg);
    document.querySelectorAll("form[data-photo-resize]").forEach(function (f) {
      setupAttachmentForm(f, msg);
    });
  });

  window.interceptionPhotos = { resize: resize, MAX_SIDE: MAX_SIDE };
})();
