"""Our public site against Wagtail, side by side in one run (issue 14).

    .venv/bin/python bench/wagtail.py                           # 235 stories, 3 rounds of 5 s
    .venv/bin/python bench/wagtail.py --rounds 5 --seconds 8
    .venv/bin/python bench/wagtail.py --wagtail-venv /tmp/wt-venv  # install once, reuse after

In a temporary folder outside the repository: our production app on SQLite (`flask demo
--stories N`: the demo paper and N generated stories, 235 published with the default 200);
a virtualenv of its own with `pip install 'wagtail>=7,<9' gunicorn` from PyPI (or the one given
with `--wagtail-venv`, made there if missing); and a minimal Wagtail project written by this
script (production settings: DEBUG off, SQLite, the middleware of Wagtail's project template,
persistent database connections): a HomePage listing the newest stories (as many as our
homepage links to) and an ArticlePage (headline, standfirst, byline, a RichTextField body),
loaded with the same published stories as ours (headline, standfirst, byline, body HTML).

Four `gunicorn -w 2` servers on 127.0.0.1, all up at once: ours with the page cache on, ours
with it off (PUBLIC_CACHE_ENABLED=0: every request renders), Wagtail (no page cache by default:
its figure is its normal render) and news_day.py's constant-bytes Flask app (our cached pages'
bytes as constants: the limit). Each round drives the article then the homepage of each in
turn, with `wrk` if installed (`apt-get install -y wrk`; else site.py's Python load loop), for
`--seconds` each; the medians of the rounds and their ratios are printed (ours / Wagtail, cached
and cold; ours cached / constant), with the range of the per-round ratios. Before measuring it
checks each page answers 200 with real HTML and prints its size. Targets of the issue: cached
at least 10x Wagtail and 60% of the constant app; cold at least 3x Wagtail.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.news_day import constant_server
from bench.site import (
    BIN,
    COUNT_STORIES,
    HOST,
    Result,
    Server,
    drive_python,
    drive_wrk,
    get,
    prepare,
    production_env,
    run,
)

WAGTAIL = "wagtail>=7,<9"
EXPORT = """
import json
from wsgi import app
from editorial.extensions import db
from editorial.models import Desk, Story
from editorial.public import NOW
from editorial.site import queries
from editorial.timeutil import utcnow
with app.app_context():
    query = queries.public_stories(Story, Desk.name).join(Desk, Desk.id == Story.desk_id)
    print(json.dumps([
        {"slug": s.slug, "headline": s.headline, "standfirst": s.standfirst or "",
         "byline": s.byline or "", "body": s.body_html, "at": s.first_published_at.isoformat(),
         "desk": desk}
        for s, desk in reversed(db.session.execute(query, {NOW: utcnow()}).all())
    ]))
"""

# --- the Wagtail project (written into the temporary folder, run by its own virtualenv) ---------

SETTINGS = """
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "news",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "CONN_MAX_AGE": 600,
    }
}
USE_TZ = True
TIME_ZONE = "Asia/Dhaka"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
WAGTAIL_SITE_NAME = "Bench"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
"""

URLS = """
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include(wagtail_urls)),
]
"""

WSGI = """
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""

MODELS = """
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

LISTED, LATEST = {listed}, {latest}


def newest(limit, exclude=None):
    articles = ArticlePage.objects.live().public().order_by("-first_published_at")
    return (articles.exclude(pk=exclude) if exclude else articles)[:limit]


class HomePage(Page):
    subpage_types = ["news.ArticlePage"]

    def get_context(self, request, *args, **kwargs):
        return super().get_context(request, *args, **kwargs) | {"articles": newest(LISTED)}


class ArticlePage(Page):
    standfirst = models.TextField(blank=True)
    byline = models.CharField(max_length=200, blank=True)
    body = RichTextField()

    content_panels = Page.content_panels + [
        FieldPanel("standfirst"), FieldPanel("byline"), FieldPanel("body"),
    ]
    parent_page_types = ["news.HomePage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        return context | {"latest": newest(LATEST, exclude=self.pk)}
"""

BASE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} | Bench</title>
{% block head %}{% endblock %}
</head>
<body>
<header class="site-header">
  <p class="masthead-name"><a href="/">Bench</a></p>
  <nav class="sections" aria-label="Sections"><ul>{nav}</ul></nav>
  <form class="site-search" role="search" action="/search/" method="get">
    <input type="search" name="q" placeholder="Search"><button type="submit">Search</button>
  </form>
</header>
<main id="main">{% block content %}{% endblock %}</main>
<footer class="site-footer"><nav aria-label="All sections"><ul>{nav}</ul></nav></footer>
</body>
</html>
"""

HOME_HTML = """{% extends "news/base.html" %}
{% load wagtailcore_tags %}
{% block title %}{{ page.title }}{% endblock %}
{% block content %}
{% for article in articles %}
<article class="card">
  <h2><a href="{% pageurl article %}">{{ article.title }}</a></h2>
  <p class="standfirst">{{ article.standfirst }}</p>
  <p class="meta">{{ article.byline }}
    <time>{{ article.first_published_at|date:"j F Y, H:i" }}</time></p>
</article>
{% endfor %}
{% endblock %}
"""

ARTICLE_HTML = """{% extends "news/base.html" %}
{% load wagtailcore_tags %}
{% block title %}{{ page.title }}{% endblock %}
{% block head %}
<meta name="description" content="{{ page.standfirst }}">
<meta property="og:type" content="article">
<meta property="og:title" content="{{ page.title }}">
<meta property="og:description" content="{{ page.standfirst }}">
<meta property="og:url" content="{% fullpageurl page %}">
<meta property="article:published_time" content="{{ page.first_published_at|date:"c" }}">
{% endblock %}
{% block content %}
<article class="article">
  <h1>{{ page.title }}</h1>
  <p class="standfirst">{{ page.standfirst }}</p>
  <p class="byline">{{ page.byline }}</p>
  <p class="times"><time>{{ page.first_published_at|date:"j F Y, H:i" }}</time></p>
  <div class="article-body">{{ page.body|richtext }}</div>
</article>
<section class="side-block"><h2>Latest News</h2><ol>
{% for article in latest %}
<li><a href="{% pageurl article %}">{{ article.title }}</a>
  <span class="byline">{{ article.byline }}</span>
  <time>{{ article.first_published_at|date:"j M, H:i" }}</time></li>
{% endfor %}
</ol></section>
{% endblock %}
"""

LOAD = """
import json
import sys
from datetime import datetime

import django

django.setup()
from wagtail.models import Page, Site

from news.models import ArticlePage, HomePage

Page.objects.filter(depth=2).delete()  # Wagtail's welcome page
home = Page.get_first_root_node().add_child(instance=HomePage(title="Bench", slug="bench"))
Site.objects.update_or_create(
    is_default_site=True,
    defaults={"hostname": "127.0.0.1", "port": 80, "root_page": home, "site_name": "Bench"},
)
for story in json.load(open(sys.argv[1])):
    at = datetime.fromisoformat(story["at"])
    home.add_child(instance=ArticlePage(
        title=story["headline"], slug=story["slug"], standfirst=story["standfirst"],
        byline=story["byline"], body=story["body"], first_published_at=at,
        last_published_at=at, live=True,
    ))
print(ArticlePage.objects.live().count())
"""


def wagtail_venv(venv: Path) -> Path:
    """A virtualenv with Wagtail and gunicorn from PyPI (made once, then reused)."""
    python = venv / "bin" / "python"
    if not (venv / "bin" / "gunicorn").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", WAGTAIL, "gunicorn"]
        done = subprocess.run(pip, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"{' '.join(pip)} failed:\n{done.stdout}\n{done.stderr}")
        print(f"installed Wagtail into {venv} in {time.perf_counter() - started:.0f} s")
    version = subprocess.run(
        [
            str(python),
            "-c",
            "import django, wagtail; print(wagtail.__version__, django.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(f"Wagtail {version[0]} on Django {version[1]}")
    return venv


@dataclass(frozen=True)
class Shape:
    """What our pages show, for Wagtail's to show as much: the stories the homepage and the
    article link to, and the sections' names (its navigation)."""

    listed: int
    latest: int
    sections: list[str]


def wagtail_site(project: Path, venv: Path, stories: Path, shape: Shape) -> dict[str, str]:
    """Write the project, migrate it and load the stories; the environment to serve it."""
    nav = "".join(f'<li><a href="/">{html.escape(name)}</a></li>' for name in shape.sections)
    models = MODELS.replace("{listed}", str(shape.listed)).replace("{latest}", str(shape.latest))
    files = {
        "settings.py": SETTINGS,
        "urls.py": URLS,
        "wsgi.py": WSGI,
        "load.py": LOAD,
        "news/__init__.py": "",
        "news/models.py": models,
        "news/templates/news/base.html": BASE_HTML.replace("{nav}", nav),
        "news/templates/news/home_page.html": HOME_HTML,
        "news/templates/news/article_page.html": ARTICLE_HTML,
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    env = {
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
    }
    python = str(venv / "bin" / "python")
    for cmd in (["-m", "django", "makemigrations", "news"], ["-m", "django", "migrate"]):
        subprocess.run([python, *cmd], env=env, cwd=project, check=True, capture_output=True)
    started = time.perf_counter()
    loaded = subprocess.run(
        [python, "load.py", str(stories)],
        env=env,
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    print(f"loaded {loaded} ArticlePages into Wagtail in {time.perf_counter() - started:.1f} s")
    return env


# --- measuring ----------------------------------------------------------------------------------


def ours(instance: Path, stories: int) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Our production app seeded on SQLite: its environment and its public stories."""
    env = production_env(instance)
    prepare(env, stories)
    exported = json.loads(run([str(BIN / "python"), "-c", EXPORT], env).strip().splitlines()[-1])
    total = run([str(BIN / "python"), "-c", COUNT_STORIES], env).strip().splitlines()[-1]
    print(f"ours: {total} stories, {len(exported)} of them published")
    return env, exported


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (other work on this machine takes ports of its own)."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind((HOST, 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def check(name: str, port: int, path: str) -> int:
    """The page answers 200 with an HTML document; its size in bytes."""
    status, body = get(path, port)
    if status != 200 or b"<html" not in body[:500] or b"</html>" not in body[-200:]:
        sys.exit(f"{name} {path} answered {status}: {body[:300]!r}")
    return len(body)


def links_on(body: bytes, slugs: set[str]) -> int:
    """How many stories the page links to (our homepage: Wagtail's lists as many)."""
    hrefs = set(re.findall(rb'href="([^"#?]+)"', body))
    return sum(href.rsplit(b"/", 1)[-1].decode() in slugs for href in hrefs)


def measure(
    targets: dict[str, tuple[int, dict[str, str]]], args: argparse.Namespace
) -> dict[tuple[str, str], list[Result]]:
    """Every (server, page) once a round, in turn: drift of a busy machine hits each alike."""
    drive = drive_wrk if args.driver == "wrk" else drive_python
    results: dict[tuple[str, str], list[Result]] = {}
    for number in range(args.rounds):
        for page in ("article", "homepage"):
            for server, (port, paths) in targets.items():
                result = drive(
                    f"{server} {page}", paths[page], args.seconds, args.connections, port=port
                )
                if result.errors:
                    print(f"  ({server} {page}: {result.errors} errors)")
                results.setdefault((server, page), []).append(result)
        print(f"round {number + 1} of {args.rounds} done, load average {_load()}")
    return results


def report(results: dict[tuple[str, str], list[Result]]) -> None:
    rps = {key: [r.rps for r in rows] for key, rows in results.items()}
    median = {key: statistics.median(values) for key, values in rps.items()}
    print(f"\n{'server':16} {'page':9} {'req/s (median)':>15} {'rounds':>28} {'p50 ms':>7}")
    for (server, page), values in rps.items():
        rounds = " ".join(f"{v:.0f}" for v in values)
        p50 = statistics.median(r.p50_ms for r in results[(server, page)])
        print(f"{server:16} {page:9} {median[(server, page)]:15.0f} {rounds:>28} {p50:7.1f}")
    print(f"\n{'ratio':34} {'article':>18} {'homepage':>18}  target")
    for label, mine, theirs, target in (
        ("ours cached / Wagtail", "ours cached", "wagtail", ">= 10x"),
        ("ours cold / Wagtail", "ours cold", "wagtail", ">= 3x"),
        ("ours cached / constant", "ours cached", "constant", ">= 60%"),
    ):
        cells = []
        for page in ("article", "homepage"):
            per_round = [a / b for a, b in zip(rps[(mine, page)], rps[(theirs, page)], strict=True)]
            ratio = median[(mine, page)] / median[(theirs, page)]
            low, high = min(per_round), max(per_round)
            cells.append(
                f"{ratio:.0%} ({low:.0%}-{high:.0%})"
                if target.endswith("%")
                else f"{ratio:.1f}x ({low:.1f}-{high:.1f})"
            )
        print(f"{label:34} {cells[0]:>18} {cells[1]:>18}  {target}")


def our_pages(port: int, stories: list[dict[str, str]]) -> tuple[str, Shape]:
    """The article measured (the newest, as site.py takes) and the shape of our pages."""
    _status, body = get("/api/stories?per_page=1", port)
    article = urlparse(json.loads(body)["stories"][0]["url"]).path
    slugs = {story["slug"] for story in stories}
    home, page = get("/", port)[1], get(article, port)[1]
    sections = list(dict.fromkeys(story["desk"] for story in stories))
    return article, Shape(links_on(home, slugs), links_on(page, slugs), sorted(sections))


def servers(
    stack: ExitStack, folder: Path, venv: Path, args: argparse.Namespace
) -> dict[str, tuple[int, dict[str, str]]]:
    """Start the four servers (stopped with `stack`): name -> (port, page -> path)."""
    ports = [args.port + n for n in range(4)] if args.port else free_ports(4)
    (folder / "ours").mkdir()
    env, stories = ours(folder / "ours", args.stories)
    cached = stack.enter_context(Server(env, folder / "ours-cached.log", port=ports[0]))
    cold_env = env | {"PUBLIC_CACHE_ENABLED": "0"}
    cold = stack.enter_context(Server(cold_env, folder / "ours-cold.log", port=ports[1]))
    article, shape = our_pages(cached.port, stories)
    print(
        f"our homepage links to {shape.listed} stories, the article to {shape.latest}: "
        "Wagtail's pages list as many"
    )
    (folder / "stories.json").write_text(json.dumps(stories))
    (folder / "wagtail").mkdir()
    wagtail_env = wagtail_site(folder / "wagtail", venv, folder / "stories.json", shape)
    theirs = stack.enter_context(
        Server(
            wagtail_env,
            folder / "wagtail.log",
            app="wsgi:application",
            port=ports[2],
            cwd=folder / "wagtail",
            probe="/",
            gunicorn=venv / "bin" / "gunicorn",
        )
    )
    (folder / "constant").mkdir()
    limit = stack.enter_context(
        constant_server(cached, ["/", article], folder / "constant", ports[3])
    )
    pages = {"article": article, "homepage": "/"}
    return {
        "ours cached": (cached.port, pages),
        "ours cold": (cold.port, pages),
        "wagtail": (theirs.port, {"article": f"/{article.rsplit('/', 1)[1]}/", "homepage": "/"}),
        "constant": (limit.port, pages),
    }


def check_all(targets: dict[str, tuple[int, dict[str, str]]]) -> None:
    """Every page answers real HTML (sizes printed); then warm both workers of each server."""
    for server, (port, paths) in targets.items():
        for page, path in paths.items():
            print(f"{server:12} {page:9} {check(server, port, path):7} bytes  {path}")
    for port, paths in targets.values():
        for path in paths.values():
            for _ in range(20):
                get(path, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=200, help="generated, beside the demo's")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--port", type=int, help="the first of four ports in a row (default: free ones)"
    )
    parser.add_argument("--wagtail-venv", type=Path, help="reuse (or make) this virtualenv")
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="editorial-wagtail-"))
    print(
        f"bench in {folder}: driver {args.driver}, {args.connections} connections, "
        f"{args.seconds:.0f} s per measurement, {args.rounds} rounds, load average {_load()}"
    )
    try:
        venv = wagtail_venv(args.wagtail_venv or folder / "venv")
        with ExitStack() as stack:
            targets = servers(stack, folder, venv, args)
            check_all(targets)
            report(measure(targets, args))
        print(f"load average after: {_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _load() -> str:
    return " ".join(f"{load:.1f}" for load in os.getloadavg())


if __name__ == "__main__":
    main()
