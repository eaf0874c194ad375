// Live coverage: keep the newest updates of an article fresh without reloading.
//
// Progressive enhancement: the page reads complete without this file (newest first, with
// "Older updates" links). Every POLL_MS it asks the page's fragment (<article URL>/live) with
// the ETag of the last answer, so while nothing changed the server answers 304 with no body;
// on a 200 it swaps the list in. It stops once coverage has ended, and waits while the tab
// is hidden.
(function () {
  "use strict";

  var POLL_MS = 5000;
  var section = document.querySelector("section.live[data-live-url]");
  if (!section || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = section.getAttribute("data-live-url");
  var etag = null;
  var timer = null;

  function current() {
    return section.querySelector("#live-entries");
  }

  function ended(node) {
    return node && node.getAttribute("data-live-ended") === "1";
  }

  function schedule() {
    if (!ended(current())) {
      timer = window.setTimeout(poll, POLL_MS);
    }
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("live-entries");
    var old = current();
    if (fresh && old) {
      old.replaceWith(document.importNode(fresh, true));
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // visibilitychange starts it again
    }
    var headers = { Accept: "text/html" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(url, { headers: headers, cache: "no-store", credentials: "omit" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(swap);
        }
        return null; // 304: nothing new; anything else: try again later
      })
      .catch(function () {
        return null;
      })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null) {
      poll();
    }
  });
  schedule();
})();
