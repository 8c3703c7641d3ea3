"""A real HTTP server on 127.0.0.1 for crawler tests: shared corpus feeds, article pages and faults.

Routes are plain data (:class:`Route`) that tests add or replace while the server runs. Feeds are
served with ETag and Last-Modified and answer conditional requests with 304. Every request is logged
(method, path, headers) so tests can assert what the crawler sent; waiting uses conditions with
deadlines, never sleeps.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from tests.support.shared import CORPUS_FEEDS

FEED_LAST_MODIFIED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml; charset=utf-8"
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Route:
    """What one path answers. ``conditional`` adds ETag/Last-Modified and honours them with 304."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False
    last_modified: datetime = FEED_LAST_MODIFIED
    redirect_to: str | None = None
    trickle: bool = False  # send one byte at a time until the client gives up or the server stops
    declared_length: int | None = None  # Content-Length to announce instead of len(body)

    @property
    def etag(self) -> str:
        """A strong validator derived from the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)


class FeedServer:
    """The server; ``url(path)`` gives absolute URLs, ``route(path, ...)`` sets what a path answers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._changed = threading.Condition()
        self._closing = threading.Event()
        self.robots = DEFAULT_ROBOTS
        server_class = _QuietServer6 if ":" in host else _QuietServer
        self._httpd = server_class((host, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # shutdown() waits for the serve loop's next poll: 50 ms instead of the default 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="feed-server", daemon=True
        )

    @property
    def host(self) -> str:
        """The address it listens on."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (IPv6 addresses in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base_url + path

    def start(self) -> FeedServer:
        """Serve in a background thread."""
        if CORPUS_FEEDS.is_dir():
            for file in sorted(CORPUS_FEEDS.iterdir()):
                self.route(f"/corpus/{file.name}", body=file.read_bytes(), content_type=RSS, conditional=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; trickling responses end at once."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, path: str, **fields: object) -> str:
        """Set what ``path`` answers (see :class:`Route`); returns its absolute URL."""
        self.routes[path] = Route(**fields)  # type: ignore[arg-type]
        return self.url(path)

    def feed(self, path: str, body: bytes | str, **fields: object) -> str:
        """A conditional RSS route; returns its absolute URL."""
        data = body.encode() if isinstance(body, str) else body
        fields.setdefault("content_type", RSS)
        fields.setdefault("conditional", True)
        return self.route(path, body=data, **fields)

    def requests_for(self, path: str) -> list[Seen]:
        """Requests received for ``path`` (query string ignored)."""
        with self._changed:
            return [seen for seen in self.requests if seen.path.split("?")[0] == path]

    def wait_for(self, predicate: Callable[[list[Seen]], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(requests)`` holds or ``timeout`` passes; returns whether it held."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.requests), timeout=timeout)

    def clear_log(self) -> None:
        """Forget the requests received so far."""
        with self._changed:
            self.requests.clear()

    def _log(self, seen: Seen) -> None:
        with self._changed:
            self.requests.append(seen)
            self._changed.notify_all()


def article_page(slug: str, paragraphs: int = 6) -> bytes:
    """A realistic article page: navigation, the article, comments and a footer."""
    body = " ".join(
        f"Paragraph {n} of the report {slug}: armed men attacked a clinic run by an aid group, "
        "local officials said on Friday, and two health workers were injured in the attack."
        for n in range(paragraphs)
    )
    html = (
        f"<!doctype html><html><head><title>{slug}</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
        f"<article><h1>Report {slug}</h1><p>{body}</p></article>"
        "<section class='comments'><p>Comment: first!!! buy cheap watches at example.com</p></section>"
        "<footer>Copyright Example News</footer></body></html>"
    )
    return html.encode()


def rss(items: list[tuple[str, str]], *, title: str = "Test feed", extra: str = "") -> str:
    """A small RSS 2.0 document; ``items`` are (guid-or-link, title) pairs, links on this server."""
    parts = [
        f"<item><title>{item_title}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<description>Summary of {item_title}</description>"
        "<pubDate>Fri, 20 Nov 2026 09:30:00 GMT</pubDate></item>"
        for link, item_title in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link><language>en</language>{extra}"
        + "".join(parts)
        + "</channel></rss>"
    )


def gzip_bomb(decompressed_bytes: int) -> bytes:
    """A gzip body of zeros: a few dozen KB on the wire, ``decompressed_bytes`` once inflated."""
    return gzip.compress(b"\0" * decompressed_bytes, compresslevel=9)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up mid-response (timeouts, size caps) are what the faults are for.
        return


class _QuietServer6(_QuietServer):
    address_family = socket.AF_INET6


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``server`` (http.server builds one handler per request)."""
    return type("FeedServerHandler", (_FeedRequestHandler,), {"feed_server": server})


def _route_for(server: FeedServer, path: str) -> Route:
    """What ``path`` answers: robots.txt, a route set by the test, a generated article page, or a 404."""
    if path == "/robots.txt":
        return Route(body=server.robots.encode(), content_type="text/plain")
    route = server.routes.get(path)
    if route is None and path.startswith("/articles/"):
        route = Route(body=article_page(path.rsplit("/", 1)[-1]))
    return route or Route(body=b"not found", status=404, content_type="text/plain")


def _not_modified(route: Route, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Whether a conditional request's validators match ``route`` (If-None-Match wins, as RFC 9110 says)."""
    if if_none_match is not None:
        return route.etag in [tag.strip() for tag in if_none_match.split(",")]
    if if_modified_since:
        try:
            return route.last_modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


class _FeedRequestHandler(BaseHTTPRequestHandler):
    """Answers GET requests from the routes of ``feed_server``, logging each request first."""

    protocol_version = "HTTP/1.1"
    feed_server: FeedServer  # set on the subclass :func:`_handler_for` makes

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        """Log the request, then answer it from its route."""
        self.feed_server._log(Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = _route_for(self.feed_server, self.path.split("?")[0])
        if route.redirect_to is not None:
            self._send_redirect(route.redirect_to)
        elif route.conditional and _not_modified(
            route, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        ):
            self._send_not_modified(route)
        else:
            self._send_headers(route)
            self._send_body(route)

    def _send_redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_not_modified(self, route: Route) -> None:
        self.send_response(304)
        self.send_header("ETag", route.etag)
        self.end_headers()

    def _send_headers(self, route: Route) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.conditional:
            self.send_header("ETag", route.etag)
            self.send_header("Last-Modified", format_datetime(route.last_modified, usegmt=True))
        for name, value in route.headers.items():
            self.send_header(name, value)
        length = route.declared_length if route.declared_length is not None else len(route.body)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send_body(self, route: Route) -> None:
        try:
            if route.trickle:
                self._trickle(route.body)
            else:
                self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _trickle(self, body: bytes) -> None:
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            # Pace of a hostile server; ends at once when the server stops.
            if self.feed_server._closing.wait(0.2):
                return
