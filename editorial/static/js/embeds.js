/* Privacy embeds: a box made by the server's renderer (`<div class="embed" data-embed-src=...>`
   holding a link to the original post or video) loads nothing from the provider until the
   reader clicks it; then this puts the provider's frame in its place. Without JavaScript the
   box stays a plain link to the original. One listener on the document, so boxes added later
   (live coverage entries, the editor's live preview) work too. Plain JavaScript, no build. */
(function () {
  "use strict";

  // The only origins a frame may come from (the CSP's frame-src names the same three).
  var ORIGINS = ["https://www.youtube-nocookie.com", "https://platform.twitter.com", "https://www.facebook.com"];

  function frameFor(box) {
    var address;
    try { address = new URL(box.getAttribute("data-embed-src") || ""); } catch (e) { return null; }
    if (ORIGINS.indexOf(address.origin) < 0) { return null; }
    var frame = document.createElement("iframe");
    frame.src = address.href;
    frame.title = box.getAttribute("data-embed-title") || "Embedded content";
    frame.className = "embed-frame embed-frame-" + (box.getAttribute("data-embed") || "other");
    frame.setAttribute("allow", "encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-presentation");
    return frame;
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;  // a new tab or window: the link does what links do
    }
    var link = event.target.closest ? event.target.closest(".embed[data-embed-src] > a") : null;
    if (!link) { return; }
    var box = link.parentNode;
    var frame = frameFor(box);
    if (!frame) { return; }
    event.preventDefault();
    var original = document.createElement("p");
    original.className = "embed-original";
    var again = document.createElement("a");
    again.href = link.href;
    again.rel = "noopener noreferrer nofollow";
    again.textContent = "Open the original";
    original.appendChild(again);
    box.replaceChildren(frame, original);
    box.setAttribute("data-embed-loaded", "");
    frame.focus();
  });
})();
