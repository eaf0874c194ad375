/* The story editor, enhanced: autosave (to the newsroom and to this browser), the offer to
   restore unsaved changes, presence, a warning before leaving with unsaved changes, Ctrl/Cmd+S
   and a live word and character count. Plain JavaScript, no build step, loaded with `defer`.
   Without it the editor is the plain form it always was.

   The server keeps one working copy per story (or new-story draft) and person; this browser
   keeps its own in localStorage until the server has it, so a lost connection, an expired
   session or a closed tab costs nothing typed. A real save clears both. */
(function () {
  "use strict";

  var PREFIX = "editorial.copy.";
  var FIELDS = ["headline", "standfirst", "body", "byline", "dateline", "desk", "slug", "tags",
    "embargo", "lead_photo", "lead_caption", "is_correction", "correction_note", "update_note"];
  var AUTOSAVE_DELAY = 3000;     // after the last keystroke
  var AUTOSAVE_MAX_WAIT = 10000; // while typing without a pause
  var HEARTBEAT = 20000;         // presence; the server counts a minute without one as gone
  var KEEPALIVE_LIMIT = 60000;   // browsers refuse keepalive bodies over 64 kB
  var BODY_MAX = 200000;
  var NOT_SAVED = "Not saved \u2014 kept in this browser.";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function localKey(person, key) { return PREFIX + person + "." + key; }
  function readLocal(key) {
    var s = storage();
    if (!s) { return null; }
    try { return JSON.parse(s.getItem(key) || "null"); } catch (e) { return null; }
  }
  function writeLocal(key, value) {
    var s = storage();
    if (!s) { return false; }
    try { s.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function dropLocal(key) {
    var s = storage();
    if (s) { try { s.removeItem(key); } catch (e) { /* nothing to drop */ } }
  }
  function forgetSaved(element) {
    var key = element && element.getAttribute("data-saved-copy");
    if (key) { dropLocal(localKey(element.getAttribute("data-person"), key)); }
  }
  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  var marker = document.getElementById("saved-copy");
  if (marker) { forgetSaved(marker); }
  var form = document.querySelector("form.editor[data-autosave]");
  if (!form) { return; }
  forgetSaved(form);
  if (form.hasAttribute("data-locked")) { return; }  // "Edit anyway" reloads without the lock

  var url = form.getAttribute("data-autosave");
  var person = form.getAttribute("data-person");
  var zone = form.getAttribute("data-timezone") || undefined;
  var isNew = form.getAttribute("data-copy") === "new";
  var draftInput = form.elements.namedItem("draft");
  var versionInput = form.elements.namedItem("version");
  var client = randomKey();  // this tab
  if (isNew && draftInput && !draftInput.value) { draftInput.value = randomKey(); }
  var copyKey = isNew ? "new:" + draftInput.value : form.getAttribute("data-copy");

  function values() {
    var out = {};
    FIELDS.forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el || el.disabled) { return; }
      out[name] = el.type === "checkbox" ? (el.checked ? "y" : "") : el.value;
    });
    return out;
  }
  function fill(fields) {
    FIELDS.forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el || !(name in fields)) { return; }
      if (el.type === "checkbox") { el.checked = !!fields[name]; } else { el.value = fields[name]; }
    });
  }
  function normal(name, value) {
    var text = String(value || "").split(/\s+/).filter(Boolean).join(" ");
    if (name === "dateline") { return text.toUpperCase(); }
    if (name === "tags") {
      return text.split(",").map(function (t) { return t.trim().toLowerCase(); })
        .filter(Boolean).sort().join(",");
    }
    return text;
  }
  function same(a, b) {
    return FIELDS.every(function (name) { return normal(name, a[name]) === normal(name, b[name]); });
  }
  function clock(ms) {
    var when = new Date(ms);
    var day = function (d) { return d.toLocaleDateString("en-CA", { timeZone: zone }); };
    var time = when.toLocaleTimeString("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    if (day(when) === day(new Date())) { return time; }
    return when.toLocaleDateString("en-GB", { timeZone: zone, day: "2-digit", month: "short", year: "numeric" }) + ", " + time;
  }

  // --- status line and word count -------------------------------------------------------------
  var status = document.getElementById("autosave-status");
  function say(text, kind) {
    if (!status) { return; }
    status.hidden = false;
    status.textContent = text;
    status.className = "autosave-status small" + (kind ? " autosave-" + kind : "");
  }
  var count = document.getElementById("editor-count");
  var body = form.elements.namedItem("body");
  function updateCount() {
    if (!count || !body) { return; }
    var text = body.value;
    var words = (text.match(/\S+/g) || []).filter(function (t) { return /[\p{L}\p{N}]/u.test(t); }).length;
    var chars = Array.from(text).length;
    count.hidden = false;
    count.textContent = words.toLocaleString("en-GB") + (words === 1 ? " word" : " words") + " \u00b7 " +
      chars.toLocaleString("en-GB") + (chars === 1 ? " character" : " characters") +
      (chars > BODY_MAX ? " (over the limit of " + BODY_MAX.toLocaleString("en-GB") + ")" : "");
  }
  updateCount();

  // --- presence -------------------------------------------------------------------------------
  function showPresence(others, otherTab) {
    var box = document.getElementById("editor-presence");
    if (!box) {
      box = document.createElement("div");
      box.id = "editor-presence";
      box.className = "alert presence";
      box.setAttribute("role", "status");
      form.parentNode.insertBefore(box, form);
      var old = document.querySelector(".alert.presence:not(#editor-presence)");
      if (old) { old.remove(); }
    }
    box.textContent = "";
    (others || []).forEach(function (e) {
      var p = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = e.name;
      p.className = "presence-line";
      p.appendChild(strong);
      p.appendChild(document.createTextNode(" is editing (since " + e.since + ")"));
      box.appendChild(p);
    });
    if (otherTab) {
      var tab = document.createElement("p");
      tab.textContent = "You also have this story open in another tab or window; the latest autosave of either is kept.";
      box.appendChild(tab);
    }
    box.hidden = !box.childNodes.length;
  }

  // --- the browser's copy ---------------------------------------------------------------------
  var initial = values();
  var unsavedFromStart = form.hasAttribute("data-unsaved");
  var acknowledged = unsavedFromStart ? null : JSON.stringify(initial);
  var submitting = false;
  var localTimer = null;

  function keepLocal(synced) {
    var fields = values();
    writeLocal(localKey(person, copyKey), {
      fields: fields, version: versionInput ? versionInput.value : "", savedAt: Date.now(),
      synced: !!synced
    });
  }
  function keepLocalSoon() {
    clearTimeout(localTimer);
    localTimer = setTimeout(function () { keepLocal(false); }, 300);
  }
  function dirty() { return unsavedFromStart || !same(values(), initial); }

  function localEntry() {
    var entry = readLocal(localKey(person, copyKey));
    if (entry || !isNew || (draftInput && draftInput.defaultValue)) {
      return entry ? { key: copyKey, entry: entry } : null;
    }
    var s = storage(), best = null, prefix = localKey(person, "new:");
    if (!s) { return null; }
    for (var i = 0; i < s.length; i += 1) {
      var key = s.key(i);
      if (key && key.indexOf(prefix) === 0) {
        var found = readLocal(key);
        if (found && !found.synced && (!best || found.savedAt > best.entry.savedAt)) {
          best = { key: key.slice(localKey(person, "").length), entry: found };
        }
      }
    }
    return best;
  }

  function offerLocal() {
    var found = localEntry();
    if (!found) { return; }
    var entry = found.entry;
    var serverAt = Date.parse(form.getAttribute("data-copy-saved-at") || "") || 0;
    if (entry.synced || !entry.fields || same(entry.fields, values())) {
      if (found.key === copyKey || entry.synced) { dropLocal(localKey(person, found.key)); }
      return;
    }
    if (entry.savedAt <= serverAt) { return; }  // the server's own offer is newer
    var hidden = Array.prototype.slice.call(document.querySelectorAll(".restore-offer"));
    hidden.forEach(function (el) { el.hidden = true; });
    var when = clock(entry.savedAt);
    var box = document.createElement("section");
    box.className = "card restore-offer";
    box.setAttribute("aria-label", "Unsaved changes in this browser");
    var text = document.createElement("p");
    text.textContent = "This browser kept changes from " + when + " that were never saved.";
    var buttons = document.createElement("div");
    buttons.className = "offer-buttons";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button primary";
    restore.textContent = "Restore your unsaved changes from " + when;
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button subtle";
    discard.textContent = "Discard";
    buttons.appendChild(restore);
    buttons.appendChild(document.createTextNode(" "));
    buttons.appendChild(discard);
    box.appendChild(text);
    box.appendChild(buttons);
    form.parentNode.insertBefore(box, form);
    restore.addEventListener("click", function () {
      fill(entry.fields);
      if (versionInput && entry.version) { versionInput.value = entry.version; }
      if (isNew && found.key !== copyKey) {
        dropLocal(localKey(person, copyKey));
        copyKey = found.key;
        draftInput.value = copyKey.slice(4);
      }
      unsavedFromStart = true;
      acknowledged = null;
      box.remove();
      updateCount();
      form.dispatchEvent(new CustomEvent("editor:filled"));  // toolbar.js: preview it
      say("Your unsaved changes from " + when + " are back in the form. They are not saved yet.", "info");
      flush({});
    });
    discard.addEventListener("click", function () {
      dropLocal(localKey(person, found.key));
      box.remove();
      hidden.forEach(function (el) { el.hidden = false; });
    });
  }

  // --- autosave -------------------------------------------------------------------------------
  var inflight = false, again = false, timer = null, firstChange = 0;

  function setToken(token) {
    if (!token) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("input[name=csrf_token]"), function (el) {
      el.value = token;
    });
  }

  function failed(text) {
    keepLocal(false);
    say(NOT_SAVED + (text ? " " + text : ""), "error");
  }

  function answered(code, answer, sent) {
    setToken(answer.csrf_token);
    if (answer.saved) {
      if (JSON.stringify(values()) === sent) { keepLocal(true); }
      acknowledged = sent;
      if (code === 409) {
        say(answer.error || "This story has changed since you opened it; your text is kept.", "warn");
      } else {
        say("All changes kept as your working copy at " + answer.saved_at_local + ". They are not saved to the story until you press Save.", "ok");
      }
    } else if (code === 401) {
      failed("You have been signed out. Sign in again (in another tab, or reload): this text will be offered when you reopen the story.");
    } else if (code >= 400) {
      failed(answer.error || "The newsroom answered " + code + ".");
    }
    if ("others" in answer) { showPresence(answer.others, answer.other_tab); }
  }

  function send(options) {
    var payload = { client: client };
    var sent = null;
    if (isNew) { payload.draft = copyKey.slice(4); } else { payload.version = parseInt(versionInput.value, 10); }
    if (options.fields) { payload.fields = values(); sent = JSON.stringify(payload.fields); }
    if (options.leave) { payload.leave = true; }
    var json = JSON.stringify(payload);
    var token = form.elements.namedItem("csrf_token");
    inflight = true;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!options.keepalive && json.length < KEEPALIVE_LIMIT,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: json
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        answered(response.status, answer, sent);
      });
    }).catch(function () {
      if (sent) { failed("No connection to the newsroom; trying again in a moment."); }
    }).then(function () {
      inflight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function needsSending() { return JSON.stringify(values()) !== acknowledged; }

  function flush(options) {
    clearTimeout(timer);
    timer = null;
    firstChange = 0;
    if (inflight && !options.keepalive) { again = true; return; }
    if (needsSending()) {
      send({ fields: true, keepalive: options.keepalive, leave: options.leave });
    } else if (options.leave && !isNew) {
      send({ leave: true, keepalive: true });
    }
  }

  function schedule() {
    var now = Date.now();
    if (!firstChange) { firstChange = now; }
    clearTimeout(timer);
    var wait = Math.max(0, Math.min(AUTOSAVE_DELAY, firstChange + AUTOSAVE_MAX_WAIT - now));
    timer = setTimeout(function () { flush({}); }, wait);
  }

  function changed() {
    keepLocalSoon();
    updateCount();
    schedule();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "preview") { return; }
    submitting = true;
    clearTimeout(timer);
    clearTimeout(localTimer);
    keepLocal(false);  // until the save is confirmed (the next page says so)
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) {
      clearTimeout(localTimer);
      keepLocal(!needsSending());
      flush({ keepalive: true });
    }
  });
  window.addEventListener("pagehide", function () {
    if (!submitting) { flush({ keepalive: true, leave: true }); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && dirty()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      // On the conflict page Ctrl+S saves the merged version, never my text over theirs.
      var save = form.querySelector("button[name=action][value=merge]") ||
        form.querySelector("button[name=action][value=save]");
      if (form.requestSubmit) { form.requestSubmit(save); } else if (save) { save.click(); }
    }
  });

  offerLocal();
  if (!isNew) {
    send({});  // presence: say we are here, and learn who else is
    setInterval(function () {
      if (inflight) { return; }
      if (needsSending()) { flush({}); } else { send({}); }
    }, HEARTBEAT);
  }
  if (unsavedFromStart) { keepLocal(false); }
})();
