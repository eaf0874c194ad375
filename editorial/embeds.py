"""Privacy embeds: which web addresses are a YouTube video, a post on X or a Facebook post or
video, and what a reader's click loads for each.

Pure functions over a URL, no I/O. A reader's browser loads nothing from the provider until
the reader asks: the page holds a link-styled box (see rendering.render_body) whose frame
address is built here from the parts we recognised (an id, a user name), never copied from
what was typed, so a crafted URL cannot smuggle anything into the frame. The frame origins are
the CSP's frame-src (editorial.security), nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

URL_MAX = 500  # longer than any real post or video address
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}
X_HOSTS = {"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"}
FACEBOOK_HOSTS = {"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com"}
# What a reader's click may frame (the CSP's frame-src names exactly these).
FRAME_ORIGINS = (
    "https://www.youtube-nocookie.com",
    "https://platform.twitter.com",
    "https://www.facebook.com",
)

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH = re.compile(r"/(?:shorts|embed|live)/([A-Za-z0-9_-]{11})/?")
_X_PATH = re.compile(r"/([A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,20})(?:/.*)?")
_FB_TOKEN = r"[A-Za-z0-9.]{1,100}"
_FB_POST = re.compile(rf"/({_FB_TOKEN})/posts/({_FB_TOKEN})/?")
_FB_VIDEO = re.compile(rf"/({_FB_TOKEN})/videos/(?:[A-Za-z0-9.-]{{1,100}}/)?(\d{{1,25}})/?")
_FB_REEL = re.compile(r"/reel/(\d{1,25})/?")
_DIGITS = re.compile(r"\d{1,25}")


@dataclass(frozen=True)
class Embed:
    """A recognised post or video: where it lives, what a click frames, what the box says."""

    provider: str  # "youtube", "x", "facebook"
    url: str  # the original, rebuilt from its parts (the box's link without JavaScript)
    frame: str  # what the click loads, on one of FRAME_ORIGINS
    what: str  # "YouTube video", "post on X", "Facebook post", "Facebook video"
    site: str  # the provider's site as readers know it

    @property
    def label(self) -> str:
        return f"Load {self.what} \u2014 this loads content from {self.site}"


def _youtube(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    if host == "youtu.be":
        video = path.strip("/")
    elif path in ("/watch", "/watch/"):
        video = (query.get("v") or [""])[0]
    else:
        match = _YOUTUBE_PATH.fullmatch(path)
        video = match.group(1) if match else ""
    if not _YOUTUBE_ID.fullmatch(video):
        return None
    return Embed(
        provider="youtube",
        url=f"https://www.youtube.com/watch?v={video}",
        frame=f"https://www.youtube-nocookie.com/embed/{video}",
        what="YouTube video",
        site="youtube.com",
    )


def _x(path: str) -> Embed | None:
    match = _X_PATH.fullmatch(path)
    if match is None:
        return None
    user, post = match.groups()
    return Embed(
        provider="x",
        url=f"https://x.com/{user}/status/{post}",
        frame=f"https://platform.twitter.com/embed/Tweet.html?id={post}&dnt=true",
        what="post on X",
        site="x.com",
    )


def _facebook_page(path: str, query: dict[str, list[str]]) -> tuple[str, bool] | None:
    """The post's or video's canonical path on facebook.com, and whether it is a video."""
    if match := _FB_POST.fullmatch(path):
        return f"/{match.group(1)}/posts/{match.group(2)}", False
    if match := _FB_VIDEO.fullmatch(path):
        return f"/{match.group(1)}/videos/{match.group(2)}", True
    if match := _FB_REEL.fullmatch(path):
        return f"/reel/{match.group(1)}", True
    video = (query.get("v") or [""])[0]
    if path in ("/watch", "/watch/") and _DIGITS.fullmatch(video):
        return f"/watch/?v={video}", True
    story, page = (query.get("story_fbid") or [""])[0], (query.get("id") or [""])[0]
    if path == "/permalink.php" and re.fullmatch(_FB_TOKEN, story) and _DIGITS.fullmatch(page):
        return f"/permalink.php?story_fbid={story}&id={page}", False
    return None


def _facebook(path: str, query: dict[str, list[str]]) -> Embed | None:
    found = _facebook_page(path, query)
    if found is None:
        return None
    page, is_video = found
    url = f"https://www.facebook.com{page}"
    plugin = "video" if is_video else "post"
    return Embed(
        provider="facebook",
        url=url,
        frame=f"https://www.facebook.com/plugins/{plugin}.php?href={quote(url, safe='')}",
        what="Facebook video" if is_video else "Facebook post",
        site="facebook.com",
    )


def find_embed(text: str) -> Embed | None:
    """The embed a URL names, or None: only http(s) addresses on the providers' own hosts
    (youtube.com.evil.example, a user:password@ trick, a port, javascript: are not)."""
    if len(text) > URL_MAX or not text.isascii() or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or port is not None or "@" in parts.netloc:
        return None
    query = parse_qs(parts.query)
    if host in YOUTUBE_HOSTS:
        return _youtube(host, parts.path, query)
    if host in X_HOSTS:
        return _x(parts.path)
    if host in FACEBOOK_HOSTS:
        return _facebook(parts.path, query)
    return None
