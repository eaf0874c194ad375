// The photo library's upload form, enhanced: each chosen file is sent on its own request with
// a progress bar, and each refusal is shown beside its file's name while the others go on.
// Without JavaScript (or without XMLHttpRequest upload events) the form posts as it is.
(function () {
  "use strict";

  function supported() {
    return "FormData" in window && "upload" in new XMLHttpRequest();
  }

  function row(list, name) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + name);
    var said = document.createElement("p");
    said.className = "small";
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(said);
    list.appendChild(item);
    return { bar: bar, said: said };
  }

  function send(form, file, shown) {
    return new Promise(function (resolve) {
      var data = new FormData(form);
      data.delete("photo");
      data.append("photo", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          shown.bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch (error) {
          answer = null;
        }
        resolve({ status: request.status, answer: answer });
      });
      request.addEventListener("error", function () {
        resolve({ status: 0, answer: null });
      });
      request.send(data);
    });
  }

  function describe(result) {
    var answer = result.answer;
    if (answer && answer.uploaded && answer.uploaded.length) {
      return { ok: true, text: "Uploaded as photo " + answer.uploaded[0].id + "." };
    }
    if (answer && answer.refused && answer.refused.length) {
      return { ok: false, text: answer.refused[0].message };
    }
    if (answer && answer.errors) {
      var messages = Object.keys(answer.errors).map(function (name) {
        return answer.errors[name];
      });
      return { ok: false, text: messages.join(" "), form: !answer.errors.photo };
    }
    return {
      ok: false,
      text: "The upload did not reach the newsroom (the connection failed). Try again.",
    };
  }

  function enhance(form) {
    var input = form.querySelector('input[type="file"][name="photo"]');
    var panel = form.querySelector("[data-upload-progress]");
    if (!input || !panel) {
      return;
    }
    var list = panel.querySelector("ul");
    var status = panel.querySelector("[data-upload-status]");
    var button = form.querySelector('button[type="submit"]');
    form.addEventListener("submit", function (event) {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) {
        return; // the server says "Choose a photo to upload."
      }
      event.preventDefault();
      list.textContent = "";
      panel.hidden = false;
      button.disabled = true;
      status.textContent = "Uploading " + files.length + " file" + (files.length > 1 ? "s" : "") + "…";
      var uploaded = 0;
      var refused = 0;
      var chain = Promise.resolve(false);
      files.forEach(function (file) {
        var shown = row(list, file.name);
        chain = chain.then(function (stop) {
          if (stop) {
            shown.said.textContent = "Not sent.";
            return true;
          }
          return send(form, file, shown).then(function (result) {
            var said = describe(result);
            shown.bar.value = 100;
            shown.said.textContent = said.text;
            shown.said.className = said.ok ? "small" : "small refused";
            if (said.ok) {
              uploaded += 1;
            } else {
              refused += 1;
            }
            if (said.form) {
              // The typed words or the token were refused: the plain form shows why, in place.
              HTMLFormElement.prototype.submit.call(form);
              return true;
            }
            return false;
          });
        });
      });
      chain.then(function (stopped) {
        button.disabled = false;
        if (stopped) {
          return;
        }
        if (!refused) {
          window.location.assign(form.action);
          return;
        }
        status.textContent =
          uploaded + " uploaded, " + refused + " not uploaded: see the reasons above. " +
          "What you typed is kept; choose the refused files again, or others.";
      });
    });
  }

  if (!supported()) {
    return;
  }
  document.querySelectorAll("form[data-upload]").forEach(enhance);
})();
