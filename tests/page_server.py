"""The test pages of ``tests/pages/`` served on two local origins.

The pages reproduce what real websites do to a page rasteriser (issue #10):
sensitive form fields, fixed and sticky bars, backgrounds on ``html``/``body``,
margin collapsing, a horizontally scrolled table, a cross-origin iframe,
canvases, placeholders, lazy and unreachable images, web fonts, SVG, shadow
DOM, RequireJS, a strict CSP, a single-page app and a few whole "template"
pages. ``tests/pages/README.md`` lists them with the ids tests can use.

API::

    from tests.page_server import serve_pages

    pages = serve_pages(tsunagu_url=live_server.url)  # two servers on free ports
    pages.origin            # "http://127.0.0.1:PORT", the site (register it)
    pages.other_origin      # "http://127.0.0.1:PORT2", a stranger (the iframe's)
    pages.snippet_tag = '<script src="..." data-site-key="pk_..." async></script>'
    page.goto(pages.url("privacy.html"))
    pages.url("embedded.html", other=True)
    pages.stop()

- ``serve_pages(snippet_tag="", tsunagu_url="", *, port=None, other_port=None,
  extra_files=None)``. ``snippet_tag`` replaces the marker
  ``<!--tsunagu-snippet-->`` (just before ``</body>``) in every HTML page of
  the main origin; empty means no snippet (what the benchmark serves). It is
  read on every request, so a test can start the pages, register
  ``pages.origin`` as a site, and then set ``pages.snippet_tag``. The other
  origin never gets the snippet.
- ``%OTHER_ORIGIN%`` in a page becomes ``pages.other_origin`` (and
  ``%ORIGIN%`` the origin the page is served from).
- ``csp.html`` is sent with ``csp_policy(tsunagu_url)``: exactly the three
  directives the README documents for a page that embeds the snippet, plus
  ``default-src 'self'`` and ``style-src 'self'`` (no inline script, no inline
  style, no eval). Any ``csp*.html`` gets it, so a test can add variants.
- ``/hang.png`` never answers until ``stop()`` (which releases it);
  ``/missing.png`` is a 404. Both exist on both origins.
- ``extra_files={"/__bench/x.js": Path(...)}`` serves more files at fixed
  paths on both origins (the benchmark serves its rasterisers this way, so
  they load under the page's CSP as ``'self'``).
- ``bench_scenarios(name)`` reads a page's ``<meta name="bench-scenarios">``:
  the benchmark's list of states to capture besides "top" (see
  ``tests/pages/README.md``); ``bench_ready(name)`` and ``bench_exclude(name)``
  its other two hints. ``PAGES`` lists the pages, ``PAGES_DIR`` is
  the folder.

Servers run in daemon threads and stay quiet (no access log).
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.live_server import free_port

PAGES_DIR = Path(__file__).resolve().parent / "pages"
MARKER = "<!--tsunagu-snippet-->"
# The pages a test or the benchmark loads at the top level (embedded.html is
# only ever the iframe's document).
PAGES = sorted(
    p.name for p in PAGES_DIR.glob("*.html") if p.name not in {"embedded.html", "index.html"}
)


def csp_policy(tsunagu_url: str) -> str:
    """The policy ``csp.html`` is served with: the README's lines and nothing looser."""
    server = tsunagu_url.rstrip("/")
    ws = server.replace("http", "ws", 1) if server else ""
    return "; ".join(
        " ".join(part for part in parts if part)
        for parts in [
            ("default-src 'self'",),
            ("script-src 'self'", server),
            ("connect-src 'self'", server, ws),
            ("img-src 'self' data:", server),
            ("style-src 'self'",),
        ]
    )


def bench_scenarios(name: str) -> list[dict]:
    """The scenarios a page declares for the benchmark (besides "top")."""
    text = (PAGES_DIR / name).read_text("utf-8")
    match = re.search(r"<meta name=\"bench-scenarios\" content='([^']*)'", text)
    return json.loads(html.unescape(match.group(1))) if match else []


def bench_ready(name: str) -> str:
    """A page's readiness expression for the benchmark (``<meta name="bench-ready">``)."""
    text = (PAGES_DIR / name).read_text("utf-8")
    match = re.search(r'<meta name="bench-ready" content="([^"]*)"', text)
    return html.unescape(match.group(1)) if match else ""


def bench_exclude(name: str) -> str:
    """Selectors of what no engine can copy (``<meta name="bench-exclude">``): a
    cross-origin iframe, a WebGL canvas, always-masked content. The benchmark
    also scores the image with their boxes blanked."""
    text = (PAGES_DIR / name).read_text("utf-8")
    match = re.search(r'<meta name="bench-exclude" content="([^"]*)"', text)
    return html.unescape(match.group(1)) if match else ""


class _Handler(http.server.SimpleHTTPRequestHandler):
    pages: PageServer
    is_main: bool
    extensions_map = {  # noqa: RUF012 - the base class's own attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".webp": "image/webp",
        ".txt": "text/plain; charset=utf-8",
    }

    def log_message(self, *args) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away (a navigation)

    def _send(self, status: int, body: bytes, content_type: str, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Pages are rewritten per request (the snippet tag); their assets are
        # cacheable, as on a real site.
        cacheable = status == 200 and not content_type.startswith("text/html")
        self.send_header("Cache-Control", "max-age=600" if cacheable else "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/hang.png":
            self.pages._hanging.wait()
            self.close_connection = True
            return
        if path == "/missing.png":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        if path in self.pages.extra_files:
            file = self.pages.extra_files[path]
            self._send(200, file.read_bytes(), self.guess_type(str(file)))
            return
        if path == "/":
            path = "/index.html"
        file = (PAGES_DIR / path.lstrip("/")).resolve()
        if not file.is_relative_to(PAGES_DIR) or not file.is_file():
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        body = file.read_bytes()
        headers = []
        if file.suffix == ".html":
            origin = self.pages.origin if self.is_main else self.pages.other_origin
            text = body.decode("utf-8")
            text = text.replace(MARKER, self.pages.snippet_tag if self.is_main else "")
            text = text.replace("%OTHER_ORIGIN%", self.pages.other_origin)
            text = text.replace("%ORIGIN%", origin)
            body = text.encode("utf-8")
            if file.name.startswith("csp"):
                headers.append(("Content-Security-Policy", csp_policy(self.pages.tsunagu_url)))
        self._send(200, body, self.guess_type(str(file)), headers)


@dataclass
class PageServer:
    origin: str
    other_origin: str
    tsunagu_url: str = ""
    snippet_tag: str = ""
    extra_files: dict[str, Path] = field(default_factory=dict)
    _servers: list[http.server.ThreadingHTTPServer] = field(default_factory=list)
    _hanging: threading.Event = field(default_factory=threading.Event)

    def url(self, name: str, other: bool = False) -> str:
        return f"{self.other_origin if other else self.origin}/{name.lstrip('/')}"

    def stop(self) -> None:
        self._hanging.set()  # releases every request to /hang.png
        for server in self._servers:
            server.shutdown()
            server.server_close()


def _start(pages: PageServer, port: int, is_main: bool) -> http.server.ThreadingHTTPServer:
    handler = type("PagesHandler", (_Handler,), {"pages": pages, "is_main": is_main})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(handler, directory=str(PAGES_DIR))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name=f"pages-{port}").start()
    return server


def serve_pages(
    snippet_tag: str = "",
    tsunagu_url: str = "",
    *,
    port: int | None = None,
    other_port: int | None = None,
    extra_files: dict[str, Path] | None = None,
) -> PageServer:
    """Serve ``tests/pages/`` on two origins; see the module docstring."""
    port = port or free_port()
    other_port = other_port or free_port()
    pages = PageServer(
        origin=f"http://127.0.0.1:{port}",
        other_origin=f"http://127.0.0.1:{other_port}",
        tsunagu_url=tsunagu_url.rstrip("/"),
        snippet_tag=snippet_tag,
        extra_files=dict(extra_files or {}),
    )
    pages._servers.append(_start(pages, port, is_main=True))
    pages._servers.append(_start(pages, other_port, is_main=False))
    return pages
