/* The editor's writing help: a formatting toolbar above the body (Bold, Italic, Subheading,
   Link, Quote, List, Photo from the library), Ctrl/Cmd+B, I and K, and a live preview of the
   body beside it (below it on narrow screens) rendered by the server's own renderer and
   sanitiser. Plain JavaScript, no build step, loaded with `defer`; without it none of this
   exists and the body is the plain Markdown text box it always was.

   Every change goes through the browser's own editing (so Undo undoes it) and fires `input`,
   so autosave, the word count and the preview see it as typing. */
(function () {
  "use strict";

  var PREVIEW_DELAY = 600;   // after the last keystroke (or twice what the last preview took)
  var SEARCH_DELAY = 300;
  var BODY_MAX = 200000;     // the server refuses more (413); the text stays here

  var form = document.querySelector("form.editor[data-preview]");
  var body = form && form.elements.namedItem("body");
  if (!form || !body || body.disabled || form.hasAttribute("data-locked")) { return; }

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }
  function token() {
    var input = form.elements.namedItem("csrf_token");
    return input ? input.value : "";
  }

  // --- editing the text -----------------------------------------------------------------------
  function replace(start, end, text, selectFrom, selectTo) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || body.value.slice(start, start + text.length) !== text) {
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    body.setSelectionRange(selectFrom, selectTo);
  }

  function selection() {
    var start = body.selectionStart, end = body.selectionEnd, value = body.value;
    while (end > start && /\s/.test(value.charAt(end - 1))) { end -= 1; }  // a double-click's trailing space
    while (start < end && /\s/.test(value.charAt(start))) { start += 1; }
    return { start: start, end: end, text: value.slice(start, end) };
  }

  // **bold**, *italic*: around the selection (or a placeholder, selected); again to undo it.
  function wrap(mark, placeholder) {
    var s = selection(), value = body.value, n = mark.length;
    if (value.slice(s.start - n, s.start) === mark && value.slice(s.end, s.end + n) === mark &&
        !(n === 1 && value.slice(s.start - 2, s.start) === "**" && value.slice(s.end, s.end + 2) === "**")) {
      replace(s.start - n, s.end + n, s.text, s.start - n, s.end - n);
      return;
    }
    var text = s.text || placeholder;
    replace(s.start, s.end, mark + text + mark, s.start + n, s.start + n + text.length);
  }

  // ## , > , - : before every line the selection touches; again to take it off.
  function prefix(mark) {
    var value = body.value;
    var start = value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    var end = value.indexOf("\n", Math.max(body.selectionEnd - (body.selectionEnd > body.selectionStart ? 1 : 0), start));
    if (end < 0) { end = value.length; }
    var lines = value.slice(start, end).split("\n");
    var all = lines.every(function (line) { return line.indexOf(mark) === 0; });
    var changed = lines.map(function (line) {
      if (all) { return line.slice(mark.length); }
      return line.trim() ? mark + line.replace(/^(#{1,6} |> |- )/, "") : line;
    }).join("\n");
    replace(start, end, changed, start, start + changed.length);
  }

  // [text](https://...): the address selected to type over, or the text when an address was selected.
  function link() {
    var s = selection();
    if (/^https?:\/\/\S+$/i.test(s.text)) {
      var words = "link text";
      replace(s.start, s.end, "[" + words + "](" + s.text + ")", s.start + 1, s.start + 1 + words.length);
      return;
    }
    var text = s.text || "link text", address = "https://";
    var start = s.start + text.length + 3;
    replace(s.start, s.end, "[" + text + "](" + address + ")", start, start + address.length);
  }

  // A photo (or anything block-level) as its own paragraph at the cursor.
  function insertBlock(text) {
    var value = body.value, at = body.selectionEnd;
    var before = value.slice(0, at), after = value.slice(at);
    var lead = !before || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var tail = !after || /^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n");
    var block = lead + text + tail;
    replace(at, at, block, at + block.length, at + block.length);
  }

  // --- the toolbar ----------------------------------------------------------------------------
  var ACTIONS = [
    { name: "bold", label: "Bold", text: "B", keys: "Ctrl+B", run: function () { wrap("**", "bold text"); } },
    { name: "italic", label: "Italic", text: "I", keys: "Ctrl+I", run: function () { wrap("*", "italic text"); } },
    { name: "heading", label: "Subheading", text: "H", run: function () { prefix("## "); } },
    { name: "link", label: "Link", text: "Link", keys: "Ctrl+K", run: link },
    { name: "quote", label: "Quote", text: "\u201c \u201d", run: function () { prefix("> "); } },
    { name: "list", label: "List", text: "\u2022 List", run: function () { prefix("- "); } },
    { name: "photo", label: "Photo from the library", text: "Photo", run: function () { openPicker(); } }
  ];
  var mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
  var bar = el("div", { "class": "editor-toolbar", role: "toolbar", "aria-label": "Formatting", "aria-controls": body.id });
  var buttons = ACTIONS.map(function (action, index) {
    var keys = action.keys ? action.keys.replace("Ctrl", mac ? "\u2318" : "Ctrl") : "";
    var button = el("button", {
      type: "button",
      "class": "toolbar-button toolbar-" + action.name,
      "aria-label": action.label,
      title: action.label + (keys ? " (" + keys + ")" : ""),
      tabindex: index === 0 ? "0" : "-1"
    }, action.text);
    if (action.keys) { button.setAttribute("aria-keyshortcuts", action.keys.replace("Ctrl", mac ? "Meta" : "Control")); }
    button.addEventListener("click", function () { action.run(); });
    bar.appendChild(button);
    return button;
  });
  // One tab stop; the arrow keys, Home and End move along it (the ARIA toolbar pattern).
  bar.addEventListener("keydown", function (event) {
    var at = buttons.indexOf(document.activeElement), to = -1;
    if (at < 0) { return; }
    if (event.key === "ArrowRight") { to = (at + 1) % buttons.length; }
    if (event.key === "ArrowLeft") { to = (at - 1 + buttons.length) % buttons.length; }
    if (event.key === "Home") { to = 0; }
    if (event.key === "End") { to = buttons.length - 1; }
    if (to < 0) { return; }
    event.preventDefault();
    buttons[at].setAttribute("tabindex", "-1");
    buttons[to].setAttribute("tabindex", "0");
    buttons[to].focus();
  });
  body.parentNode.insertBefore(bar, body);

  var SHORTCUTS = { b: "bold", i: "italic", k: "link" };
  body.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) { return; }
    var name = SHORTCUTS[(event.key || "").toLowerCase()];
    if (!name) { return; }
    event.preventDefault();
    ACTIONS.forEach(function (action) { if (action.name === name) { action.run(); } });
  });

  // --- the photo picker -----------------------------------------------------------------------
  var dialog = null, results = null, searchBox = null, pickerNote = null, searchTimer = null, searchSeq = 0;
  var lead = form.elements.namedItem("lead_photo");

  function buildPicker() {
    dialog = el("dialog", { "class": "photo-picker", "aria-labelledby": "photo-picker-title" });
    var head = el("div", { "class": "picker-head" });
    head.appendChild(el("h2", { id: "photo-picker-title" }, "Insert a photo from the library"));
    var close = el("button", { type: "button", "class": "button subtle" }, "Close");
    close.addEventListener("click", function () { dialog.close(); });
    head.appendChild(close);
    var label = el("label", { "for": "photo-picker-q" }, "Search the library (caption, credit, alt text, tags)");
    searchBox = el("input", { type: "search", id: "photo-picker-q", autocomplete: "off" });
    searchBox.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, SEARCH_DELAY);
    });
    pickerNote = el("p", { "class": "picker-note muted small", role: "status" });
    results = el("ul", { "class": "picker-results" });
    [head, label, searchBox, pickerNote, results].forEach(function (node) { dialog.appendChild(node); });
    dialog.addEventListener("close", function () { body.focus(); });
    form.parentNode.insertBefore(dialog, form.nextSibling);
  }

  function photoItem(photo) {
    var item = el("li", { "class": "picker-photo" });
    if (photo.thumbnail) {
      item.appendChild(el("img", { src: photo.thumbnail, alt: "", width: "96", height: "64", loading: "lazy" }));
    } else {
      item.appendChild(el("span", { "class": "picker-pending muted small" }, "Processing"));
    }
    var text = el("div", { "class": "picker-text" });
    text.appendChild(el("p", { "class": "picker-caption" }, "#" + photo.id + " " + (photo.caption || "No caption")));
    text.appendChild(el("p", { "class": "muted small" }, photo.credit ? "Credit: " + photo.credit : "No credit"));
    if (photo.problem) { text.appendChild(el("p", { "class": "picker-problem small" }, photo.problem)); }
    var actions = el("div", { "class": "picker-actions" });
    var insert = el("button", { type: "button", "class": "button primary" }, "Insert");
    insert.setAttribute("aria-label", "Insert photo #" + photo.id + " in the body");
    insert.addEventListener("click", function () {
      dialog.close();
      insertBlock(photo.markdown);
    });
    actions.appendChild(insert);
    if (lead && lead.tagName === "SELECT" && !lead.disabled) {
      var setLead = el("button", { type: "button", "class": "button" }, "Set as lead photo");
      setLead.setAttribute("aria-label", "Set as lead photo: #" + photo.id);
      setLead.addEventListener("click", function () { useAsLead(photo); });
      actions.appendChild(setLead);
    }
    text.appendChild(actions);
    item.appendChild(text);
    return item;
  }

  function useAsLead(photo) {
    var value = String(photo.id);
    var known = Array.prototype.some.call(lead.options, function (option) { return option.value === value; });
    if (!known) {
      lead.appendChild(el("option", { value: value }, "#" + photo.id + " " + (photo.caption || "No caption").slice(0, 60) + " (" + (photo.credit || "no credit") + ")"));
    }
    lead.value = value;
    lead.dispatchEvent(new Event("change", { bubbles: true }));
    pickerNote.textContent = "Photo #" + photo.id + " is now the lead photo (save to keep it).";
  }

  function search() {
    var seq = ++searchSeq;
    var address = form.getAttribute("data-photos") + "?q=" + encodeURIComponent(searchBox.value.trim());
    pickerNote.textContent = "Searching\u2026";
    fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) {
        if (seq !== searchSeq) { return; }
        results.replaceChildren.apply(results, answer.photos.map(photoItem));
        var count = answer.photos.length;
        pickerNote.textContent = count ? count + (count === 1 ? " photo" : " photos") + (answer.more ? " (the newest; search to narrow)" : "") + "." : "No photos found.";
      })
      .catch(function () {
        if (seq === searchSeq) { pickerNote.textContent = "The library did not answer; try again, or use Media in another tab."; }
      });
  }

  function openPicker() {
    if (!dialog) { buildPicker(); }
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    searchBox.focus();
    search();
  }

  // --- the live preview -----------------------------------------------------------------------
  var pane = document.getElementById("body-pane");
  var preview = el("section", { "class": "live-preview", "aria-labelledby": "live-preview-title" });
  preview.appendChild(el("h2", { "class": "side-title", id: "live-preview-title" }, "Live preview"));
  var previewNote = el("p", { "class": "preview-note small", role: "status" });
  var previewBody = el("div", { "class": "story-body live-preview-body" });
  preview.appendChild(previewNote);
  preview.appendChild(previewBody);
  if (pane) {
    pane.appendChild(preview);
    pane.classList.add("with-preview");
  }
  var previewTimer = null, previewSeq = 0, shownSeq = 0, previewBusy = false, previewAgain = false;
  var lastTook = 0;  // ms the last preview took: a long body waits longer between previews

  function showPreview(seq, status, answer) {
    if (seq < shownSeq) { return; }  // an older answer arriving late
    shownSeq = seq;
    if (status === 200 && typeof answer.html === "string") {
      previewBody.innerHTML = answer.html;  // rendered and sanitised by the server
      Array.prototype.forEach.call(previewBody.querySelectorAll("[role=alert]"), function (node) {
        node.removeAttribute("role");  // shown, not announced on every keystroke
      });
      previewNote.textContent = "";
    } else {
      previewNote.textContent = answer.error || "The preview did not update (the newsroom answered " + status + ").";
    }
  }

  function settled() {
    previewBusy = false;
    preview.removeAttribute("aria-busy");
    if (previewAgain) { previewAgain = false; later(); }
  }

  function refresh() {
    clearTimeout(previewTimer);
    if (!pane) { return; }
    if (previewBusy) { previewAgain = true; return; }  // one request at a time per editor
    var seq = ++previewSeq;
    if (body.value.length > BODY_MAX * 2) {  // do not send megabytes to hear "too long"
      showPreview(seq, 413, { error: "The body is over the limit of " + BODY_MAX.toLocaleString("en-GB") + " characters; the preview stops here. Your text is unchanged." });
      return;
    }
    previewBusy = true;
    preview.setAttribute("aria-busy", "true");
    var started = Date.now();
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token() },
      body: JSON.stringify({ body: body.value })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        lastTook = Date.now() - started;
        showPreview(seq, response.status, answer);
      });
    }).catch(function () {
      showPreview(seq, 0, { error: "No connection to the newsroom: the preview will catch up." });
    }).then(settled);
  }

  function later() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refresh, Math.max(PREVIEW_DELAY, 2 * lastTook));
  }

  body.addEventListener("input", later);
  form.addEventListener("editor:filled", later);  // editor.js restored this browser's copy
  refresh();
})();
