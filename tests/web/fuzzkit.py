"""The fuzz test's tools: read forms and links from pages, crawl a site, and Hypothesis strategies
for URL arguments (per converter), query strings and form fields.

Nothing here names a route: what to fuzz comes from the URL map and from the pages themselves, so
a new route, field or query parameter is fuzzed without an edit here.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    Rule,
    UnicodeConverter,
    UUIDConverter,
)

# --- Reading pages ------------------------------------------------------------------------------

TEXT_KINDS = {"text", "email", "search", "url", "tel", "textarea"}


@dataclass
class Field:
    """One named control of a form, as the page rendered it."""

    name: str
    kind: str  # an input type, or "textarea" / "select"
    values: list[str] = field(default_factory=list)  # value(s) as rendered (checked/selected)
    options: list[str] = field(default_factory=list)  # a select's options, a checkbox's value


@dataclass
class Form:
    method: str
    action: str  # absolute path with query, resolved against the page
    page: str  # the page the form was found on
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, name: str, kind: str, value: str | None, chosen: bool) -> Field:
        entry = self.fields.setdefault(name, Field(name, kind))
        if value is not None:
            if value not in entry.options:
                entry.options.append(value)
            if chosen:
                entry.values.append(value)
        return entry


class PageReader(HTMLParser):
    """The forms (with their fields) and the links of one HTML page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(a.get("method", "get").upper(), action, self.page)
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            checkable = kind in {"checkbox", "radio"}
            chosen = "checked" in a if checkable else True
            self._form.add(a["name"], kind, a.get("value", "on" if checkable else ""), chosen)
        elif tag == "button" and "value" in a:
            self._form.add(a["name"], "button", a["value"], chosen=False)
        elif tag == "textarea":
            self._textarea = self._form.add(a["name"], "textarea", None, False)
            self._text = []
        elif tag == "select":
            self._select = a["name"]
            self._form.add(a["name"], "select", None, False)
        elif tag == "option" and self._select is not None:
            self._form.add(self._select, "select", a.get("value", ""), "selected" in a)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self._textarea.values.append("".join(self._text))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def read_page(page: str, html: str) -> PageReader:
    reader = PageReader(page)
    reader.feed(html)
    reader.close()
    return reader


def same_path(a: str, b: str) -> bool:
    return unquote(urlsplit(a).path) == unquote(urlsplit(b).path)


# --- Crawling ------------------------------------------------------------------------------------


@dataclass
class Crawl:
    """What the site's own pages show: real URL arguments, query values and forms per endpoint."""

    args: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    queries: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    forms: dict[str, list[Form]] = field(default_factory=lambda: defaultdict(list))
    # the query parameters the site's links and filter forms send to each endpoint
    params: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add_args(self, endpoint: str, args: dict[str, object]) -> None:
        args = {k: str(v) for k, v in args.items()}
        if args not in self.args[endpoint]:
            self.args[endpoint].append(args)

    def values_of(self, name: str) -> list[str]:
        """Every real value seen for a URL argument of this name, on any route."""
        return sorted(
            {args[name] for found in self.args.values() for args in found if name in args}
        )


def crawl(
    app: Flask,
    clients: dict[str, FlaskClient],
    seeds: Iterable[str],
    *,
    per_endpoint: int,
) -> Crawl:
    """Follow links and read forms as each client, at most `per_endpoint` URLs per endpoint
    and client. A page the first client (anonymous) could read is public, the same for
    everyone: later clients do not fetch it again."""
    adapter = app.url_map.bind("localhost")
    found = Crawl()
    public: set[str] = set()
    for number, client in enumerate(clients.values()):
        seen: dict[str, int] = defaultdict(int)
        fetched: set[str] = set()
        queue = list(seeds)
        while queue:
            url = queue.pop(0)
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost") or url in fetched or url in public:
                continue
            try:
                endpoint, args = adapter.match(unquote(parts.path), method="GET")
            except HTTPException:
                continue
            if seen[endpoint] >= per_endpoint:
                continue
            seen[endpoint] += 1
            fetched.add(url)
            found.add_args(endpoint, args)
            for name, value in parse_qsl(parts.query):
                found.queries[name].add(value)
                found.params[endpoint].add(name)
            response = client.get(parts.path + ("?" + parts.query if parts.query else ""))
            if number == 0 and response.status_code == 200:
                public.add(url)
            if response.mimetype != "text/html":
                response.close()
                continue
            page = read_page(url, response.get_data(as_text=True))
            queue.extend(link.split("#")[0] for link in page.links)
            for form in page.forms:
                _record_form(adapter, found, form)
    return found


def _record_form(adapter, found: Crawl, form: Form) -> None:
    parts = urlsplit(form.action)
    try:
        endpoint, args = adapter.match(unquote(parts.path), method=form.method)
    except HTTPException:
        return
    found.add_args(endpoint, args)
    if form.method == "GET":  # a filter form: its fields are the view's query parameters
        for f in form.fields.values():
            found.queries[f.name].update(f.options or f.values or [""])
            found.params[endpoint].add(f.name)
    elif not any(same_path(f.action, form.action) for f in found.forms[endpoint]):
        found.forms[endpoint].append(form)


# --- Strategies ---------------------------------------------------------------------------------

CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x85\u2028\u2029\ufeff\ufffe\uffff"
NASTY = [
    "",
    " ",
    "\x00",
    "Dhaka\x00flood",
    "\x1b[31mred\x1b[0m",
    "\r\nBcc: victim@evil.example",
    "\u202eevil.exe\u202c",
    "مرحبا بالعالم",
    "😀👩‍👩‍👧‍👦🇧🇩",
    "ঢাকায় বৃষ্টি ২০২৬",
    "e\u0301\u0301\u0301",
    "..",
    "../../../../etc/passwd",
    "%00",
    "%2e%2e%2f",
    "\\\\evil.example\\x",
    "//evil.example",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "'\"; DROP TABLE stories; --",
    "{{ 7 * 7 }}",
    "x" * 100_000,
    "ক" * 30_000,
    "-1",
    "0",
    "00",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "1" + "0" * 40,
    "1e309",
    "NaN",
    "-0",
    "১২৩",
    "\uff11\uff12\uff13",  # fullwidth digits
    "\u0663",  # an Arabic-Indic three
]
DATES = [
    "0001-01-01",
    "0000-00-00",
    "9999-12-31",
    "1899-12-31",
    "1900-01-01",
    "2999-12-31",
    "3000-01-01",
    "2026-02-29",
    "2024-02-29",
    "2026-13-01",
    "-2026-01-01",
    "2026-W49-1",
    "20261201",
    "2026-12",
    "0001-01",
    "9999-12",
    "10000-01-01",
    "২০২৬-১২-০১",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59.999999",
    "2026-12-01T10:00",
    "2026-12-01T25:61",
    "2026-12-01T10:00+14:00",
    "2026-12-01T10:00Z",
    "2026-03-08T02:30",  # a daylight-saving gap in American zones
    "2026-11-01T01:30",  # and a repeated hour
    "1970-01-01T00:00:00-23:59",
]

_any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_hostile_text = st.text(st.sampled_from(CONTROLS + "aক😀\u202e/.%\\<&'\""), max_size=40)


DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}")
# The first and last days and months Python can hold: where day and month arithmetic overflows.
DATE_LIMITS = [
    "0001-01-01",
    "9999-12-31",
    "0001-01",
    "9999-12",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
]


def text_values(real: Iterable[str] = ()) -> st.SearchStrategy[str]:
    """Text for any field or argument: what the site itself uses, values of the same shape at
    and past their limits (dates, numbers), and text it must survive."""
    options = [st.sampled_from([*NASTY, *DATES]), _any_text, _hostile_text]
    real = sorted(set(real))
    if real:
        options.insert(0, st.sampled_from(real))
    if any(DATE_LIKE.match(value) for value in real):
        options[1:1] = [st.sampled_from(DATE_LIMITS), st.sampled_from(DATES)]
    if any(value.isdigit() for value in real):
        options.insert(1, number_values(real))
    return st.one_of(*options)


def number_values(real: Iterable[str] = ()) -> st.SearchStrategy[str]:
    edges = ["0", "-1", "1", "01", "2147483647", "2147483648", "9223372036854775808", "1" * 40]
    return st.one_of(
        st.sampled_from(sorted(set(real)) or ["1"]),
        st.sampled_from([*edges, "\uff11", "\u0661", "1.5", "1e3", " 1", "0x1"]),
        st.integers(min_value=0).map(str),
        st.integers(max_value=-1).map(str),
    )


# Each URL converter the app uses, with the strategy for its values. A converter not here cannot
# be fuzzed: the coverage test names the route until someone adds a strategy or an exclusion.
CONVERTERS: list[tuple[type[BaseConverter], Callable[[list[str]], st.SearchStrategy[str]]]] = [
    (IntegerConverter, number_values),
    (FloatConverter, lambda real: st.one_of(number_values(real), st.floats().map(str))),
    (
        PathConverter,
        lambda real: st.one_of(
            text_values(real), st.lists(text_values(real), min_size=1, max_size=4).map("/".join)
        ),
    ),
    (UnicodeConverter, text_values),
    (AnyConverter, text_values),
    (UUIDConverter, lambda real: st.one_of(st.uuids().map(str), text_values(real))),
]


def converter_strategy(converter: BaseConverter) -> Callable[[list[str]], st.SearchStrategy[str]]:
    """The strategy for a converter; LookupError if the app uses one the fuzz does not know."""
    for kind, strategy in CONVERTERS:
        if isinstance(converter, kind):
            if isinstance(converter, AnyConverter):
                return lambda real, c=converter: text_values(
                    [*real, *c.regex.strip("()").split("|")]
                )
            return strategy
    raise LookupError(type(converter).__name__)


ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def build_path(rule: Rule, args: dict[str, str]) -> str:
    """The rule's path with these (raw, possibly hostile) arguments, percent-encoded."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        safe = "/" if isinstance(rule._converters[name], PathConverter) else ""
        return quote(args[name], safe=safe)

    return ARGUMENT.sub(value, rule.rule)


def path_values(rule: Rule, found: Crawl) -> st.SearchStrategy[str]:
    """A path for the rule: a real one from the site, one with an argument swapped for a fuzzed
    value, or all arguments fuzzed."""
    if not rule.arguments:
        return st.just(rule.rule)
    fuzzed = {
        name: converter_strategy(rule._converters[name])(found.values_of(name))
        for name in sorted(rule.arguments)
    }
    all_fuzzed = st.fixed_dictionaries(fuzzed)
    real = found.args.get(rule.endpoint) or []
    if not real:
        return all_fuzzed.map(lambda args: build_path(rule, args))
    one_swapped = st.tuples(st.sampled_from(real), all_fuzzed, st.sampled_from(sorted(fuzzed))).map(
        lambda t: {**t[0], t[2]: t[1][t[2]]}
    )
    return st.one_of(st.sampled_from(real), one_swapped, all_fuzzed).map(
        lambda args: build_path(rule, args)
    )


def query_values(
    found: Crawl, endpoint: str, names: Iterable[str]
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A query string: the parameters the site sends this endpoint first, then names any view
    reads, then any name; each value real or hostile, names repeated now and then."""

    def value(name: str) -> st.SearchStrategy[str]:
        return text_values(found.queries.get(name, ()))

    own = st.fixed_dictionaries(
        {},
        optional={
            name: st.lists(value(name), min_size=1, max_size=2)
            for name in sorted(found.params.get(endpoint, ()))
        },
    ).map(lambda chosen: [(name, v) for name, values in chosen.items() for v in values])
    anyone = st.sampled_from(sorted({*names, *found.queries})).flatmap(
        lambda name: st.tuples(st.just(name), value(name))
    )
    others = st.lists(st.one_of(anyone, st.tuples(_any_text, text_values())), max_size=2)
    return st.tuples(own, others).map(lambda t: t[0] + t[1])


MASS_ASSIGNMENT = [
    "state",
    "author_id",
    "published_at",
    "role",
    "roles",
    "is_admin",
    "is_active",
    "id",
]


def field_values(form_field: Field) -> st.SearchStrategy[list[str]]:
    """The values posted for one field: as rendered, a real option, hostile text, none (the field
    missing) or several (a duplicated field)."""
    real = [*form_field.values, *form_field.options]
    one = text_values(real)
    # What a browser sends: the values shown, checked or selected; a select's first option and
    # the pressed button's value; nothing for an unchecked box.
    pressed = form_field.options[:1] if form_field.kind in ("select", "button") else []
    as_rendered = st.just(form_field.values or pressed)
    return st.one_of(as_rendered, st.lists(one, min_size=1, max_size=1), st.lists(one, max_size=3))


def form_values(form: Form, token: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A submission of `form`: every field fuzzed, the CSRF token mostly valid, and sometimes
    a field the form does not have."""
    fields = {}
    for name, form_field in form.fields.items():
        if name == "csrf_token":
            # mostly valid, to reach the view; now and then missing, forged or repeated
            fields[name] = st.sampled_from([[token]] * 5 + [[], ["forged"], [token, "x"]])
        else:
            fields[name] = field_values(form_field)
    extra = st.lists(st.tuples(st.sampled_from(MASS_ASSIGNMENT), text_values()), max_size=2)
    return st.tuples(st.fixed_dictionaries(fields), extra).map(
        lambda t: [(name, value) for name, values in t[0].items() for value in values] + t[1]
    )


def typed_text(form: Form, posted: list[tuple[str, str]]) -> dict[str, str]:
    """The text a person typed into the form's text fields (the first value of each)."""
    typed: dict[str, str] = {}
    for name, value in posted:
        entry = form.fields.get(name)
        if entry is not None and entry.kind in TEXT_KINDS:
            typed.setdefault(name, value)
    return typed


READS_PARAMETER = re.compile(r"""args(?:\.get\(|\[)\s*["'](\w+)["']""")


def parameter_names(source: str) -> set[str]:
    """The query parameters code reads by name (`args.get("x")`, `request.args["x"]`)."""
    return set(READS_PARAMETER.findall(source))


def read_parameter_names(app: Flask, package: Path, found: Crawl) -> set[str]:
    """Every parameter the package reads anywhere; and each view's own, added to what the
    site sends that endpoint."""
    for endpoint, view in app.view_functions.items():
        with suppress(OSError, TypeError):  # a view without Python source
            found.params[endpoint] |= parameter_names(inspect.getsource(view))
    return {name for path in package.rglob("*.py") for name in parameter_names(path.read_text())}
