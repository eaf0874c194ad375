// @mention autocomplete in the comment box.
//
// Progressive enhancement: without this file a colleague is mentioned by typing @ and their
// handle, and the page says which handles named nobody. With it, typing @ and a few letters
// lists matching colleagues (name and handle, from the newsroom's JSON endpoint, never an
// e-mail address) under the box. Arrow keys move through the list, Enter or Tab picks,
// Escape closes it; a click picks too. The textarea keeps its textbox role (a combobox role is
// not allowed on a textarea) and points at the listbox with aria-controls and at the
// highlighted option with aria-activedescendant; a polite status says how many were found.
(function () {
  "use strict";

  var DELAY_MS = 120;
  var form = document.querySelector("form.comment-form[data-mentions-url]");
  var box = form && form.querySelector("textarea");
  if (!box || !window.fetch) {
    return;
  }
  var url = form.getAttribute("data-mentions-url");
  // "@" at the start or after a space or punctuation (not inside an address), then the handle.
  var TYPED = /(^|[^\w@])@([\w.+-]{1,64})$/;

  var list = document.createElement("ul");
  list.id = box.id + "-mentions";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Colleagues to mention");
  list.hidden = true;
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  box.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", status);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);

  var people = [];
  var active = -1;
  var typed = null; // {start, end}: where the "@handle" being typed sits in the text
  var timer = null;
  var asked = 0;

  function close() {
    list.hidden = true;
    list.textContent = "";
    people = [];
    active = -1;
    typed = null;
    box.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    var options = list.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (index >= 0 && options[index]) {
      box.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function show(found) {
    list.textContent = "";
    people = found;
    found.forEach(function (person, i) {
      var option = document.createElement("li");
      option.id = list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = person.name;
      var handle = document.createElement("span");
      handle.className = "mention-handle";
      handle.textContent = "@" + person.handle;
      option.appendChild(name);
      option.appendChild(document.createTextNode(" "));
      option.appendChild(handle);
      // mousedown, not click: the box keeps its focus (and caret) while the choice is made.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(i);
      });
      list.appendChild(option);
    });
    list.hidden = found.length === 0;
    status.textContent = found.length
      ? found.length + (found.length === 1 ? " colleague" : " colleagues") +
        " found; use the arrow keys and Enter to choose."
      : "No colleague found.";
    highlight(found.length ? 0 : -1);
  }

  function pick(index) {
    var person = people[index];
    if (!person || !typed) {
      return;
    }
    var text = box.value;
    var insert = "@" + person.handle + " ";
    box.value = text.slice(0, typed.start) + insert + text.slice(typed.end);
    var caret = typed.start + insert.length;
    box.setSelectionRange(caret, caret);
    status.textContent = person.name + " mentioned.";
    close();
    box.focus();
  }

  function lookUp() {
    var before = box.value.slice(0, box.selectionStart);
    var match = box.selectionStart === box.selectionEnd && TYPED.exec(before);
    if (!match) {
      close();
      return;
    }
    typed = { start: before.length - match[2].length - 1, end: box.selectionStart };
    var ask = ++asked;
    fetch(url + "?q=" + encodeURIComponent(match[2]), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { people: [] };
      })
      .then(function (answer) {
        if (ask === asked && typed) {
          show(answer.people || []);
        }
      })
      .catch(function () {
        if (ask === asked) {
          close(); // the plain box still works: the handle is checked when the comment is added
        }
      });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, DELAY_MS);
  });

  box.addEventListener("keydown", function (event) {
    if (list.hidden || !people.length) {
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + people.length) % people.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      event.preventDefault();
      pick(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  box.addEventListener("blur", close);
})();
