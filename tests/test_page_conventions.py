"""Issue 16, point 5: what users expect of every page, checked on every page of the system.

The crawl opens every HTML page route of the permission matrix (tests/matrix.py) as every persona who may open
it and checks, on what the server sends:
- the document's language is named (`<html lang>`), and the page has its own title before the site name;
- one `<h1>` with text, inside the `<main>` landmark that the skip link leads to;
- breadcrumbs (`nav > ol.breadcrumb`, the last item marked `aria-current="page"`) on every page but the start
  page;
- every submit button styled as destructive (Bootstrap's danger colours) asks for confirmation first: it
  carries `data-confirm` (static/js/app.js turns it into a dialog) or it is on the action's own confirmation
  page (its form posts back to the page that shows it);
- the person search box is in the header for everyone whose role may search persons, and for nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.test import Client

from cases.models import Person
from gvi import access
from gvi.accounts.models import Staff
from tests.matrix import NOT_FOUND, Row
from tests.test_permission_matrix import CASES
from tests.test_query_budget import _get

SITE_SUFFIX = "· Sluta skjut"
DANGER = ("btn-danger", "btn-outline-danger", "text-danger")
# The start page is the root of every trail, so it has none.
NO_BREADCRUMBS = {"home"}


@dataclass
class Page(HTMLParser):
    """What the checks read of one page."""

    path: str = ""
    lang: str = ""
    title: str = ""
    h1: list[str] = field(default_factory=list)
    h1_in_main: bool = False
    has_main: bool = False
    breadcrumb_items: list[dict[str, str]] = field(default_factory=list)
    header_search: bool = False
    unconfirmed: list[str] = field(default_factory=list)
    _stack: list[str] = field(default_factory=list)
    _in_title: bool = False
    _in_h1: bool = False
    _in_main: int = 0
    _in_header: int = 0
    _in_breadcrumb: int = 0
    _form_confirms: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        classes = attr.get("class", "").split()
        if tag == "html":
            self.lang = attr.get("lang", "")
        elif tag == "title" and not self.title:  # the document's, not an SVG chart's
            self._in_title = True
        elif tag == "main":
            self.has_main = True
            self._in_main += 1
        elif tag == "header":
            self._in_header += 1
        elif tag == "h1":
            self._in_h1 = True
            self.h1.append("")
            self.h1_in_main = self.h1_in_main or self._in_main > 0
        elif tag == "ol" and "breadcrumb" in classes:
            self._in_breadcrumb += 1
        elif tag == "li" and self._in_breadcrumb and "breadcrumb-item" in classes:
            self.breadcrumb_items.append(attr)
        elif tag == "form":
            # A form posting back to the page that shows it is that action's confirmation page.
            confirms = "data-confirm" in attr or attr.get("action", "") in ("", self.path)
            self._form_confirms.append(confirms)
        elif tag == "input" and self._in_header and attr.get("id") == "header-search":
            self.header_search = True
        elif tag == "button" and attr.get("type", "submit") == "submit" and any(c in classes for c in DANGER):
            confirmed = "data-confirm" in attr or (self._form_confirms and self._form_confirms[-1])
            if not confirmed:
                self.unconfirmed.append(" ".join(f'{k}="{v}"' for k, v in attr.items()))
        if tag not in {"input", "meta", "link", "br", "img", "hr"}:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "h1":
            self._in_h1 = False
        elif tag == "main":
            self._in_main -= 1
        elif tag == "header":
            self._in_header -= 1
        elif tag == "ol" and self._in_breadcrumb:
            self._in_breadcrumb -= 1
        elif tag == "form" and self._form_confirms:
            self._form_confirms.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_h1:
            self.h1[-1] += data


def _read(html: str, path: str = "") -> Page:
    page = Page(path=path)
    page.feed(html)
    page.close()
    return page


def _pages() -> list[tuple[Row, str]]:
    """Each HTML page route (not the API) once per persona who may open it."""
    seen: set[tuple[str, str]] = set()
    visits = []
    for row, persona in CASES:
        if (
            row.method == "GET"
            and not row.route.startswith("api:")
            and row.expected[persona] != NOT_FOUND
            and (row.route, persona) not in seen
        ):
            seen.add((row.route, persona))
            visits.append((row, persona))
    return visits


def _problems(page: Page, route: str, may_search: bool) -> list[str]:
    problems = []
    title = " ".join(page.title.split())
    if not page.lang:
        problems.append("no <html lang>")
    if not title.endswith(SITE_SUFFIX) or not title.removesuffix(SITE_SUFFIX).strip():
        problems.append(f"title {title!r} does not name the page")
    if len(page.h1) != 1 or not page.h1[0].strip() or not page.h1_in_main:
        problems.append(f"{len(page.h1)} <h1> ({page.h1!r}); one with text, in <main>, is expected")
    if route not in NO_BREADCRUMBS:
        last = page.breadcrumb_items[-1] if page.breadcrumb_items else {}
        if len(page.breadcrumb_items) < 2 or last.get("aria-current") != "page":
            problems.append("no breadcrumb trail ending at this page")
    if page.unconfirmed:
        problems.append(f"destructive buttons without data-confirm: {page.unconfirmed}")
    if page.header_search != may_search:
        problems.append(f"header search shown: {page.header_search}, role may search persons: {may_search}")
    return problems


def test_the_crawl_covers_the_pages() -> None:
    routes = {row.route for row, _ in _pages()}
    assert len(routes) >= 90
    assert {"home", "cases:person-detail", "mapping:network", "reports:list"} <= routes


def test_the_checks_catch_a_page_without_its_parts() -> None:
    bare = "<html><head><title> · Sluta skjut</title></head><body><h1></h1><form method=post action=/x/>"
    bare += '<button class="btn btn-danger">Delete</button></form></body></html>'
    problems = _problems(_read(bare), "cases:person-detail", may_search=True)
    assert len(problems) == 6, problems


def test_every_page_has_its_title_heading_breadcrumbs_and_confirmations(
    scope: dict[str, Any], verified_client: Any
) -> None:
    clients: dict[str, Client] = {}
    checked = 0
    failures = []
    for row, persona in _pages():
        client = clients.setdefault(persona, verified_client(persona))
        url, headers = _get(row, scope)
        response = client.get(url, headers=headers)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue  # an export, a download, a redirect: not a page
        html = response.content.decode()
        if "<html" not in html:
            continue  # an htmx fragment
        user = Staff.objects.get(username=persona)
        may_search = access.role_allows(user, "view", Person)
        checked += 1
        failures += [f"{row.route} as {persona}: {p}" for p in _problems(_read(html, url), row.route, may_search)]
    assert checked >= 150
    assert not failures, "\n".join(failures)
