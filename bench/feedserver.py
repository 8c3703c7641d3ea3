"""A fast asyncio feed server for the benchmarks, run as a SEPARATE process (its CPU is not ours).

``python -m bench.feedserver`` prints its HTTP port and an SMTP sink's port on stdout and serves
until stdin closes. Feeds are
``/feeds/<i>.xml`` (RSS 2.0, 30 items, ETag + Last-Modified, 304 when either validator matches);
``/articles/...`` are small article pages. Control is plain GET on ``/_ctl/<op>?...``:

- ``setup?n=N&epoch=E&mode=normal|304``: N feeds at generation 0; ``epoch`` makes every item new;
  ``mode=304`` answers 304 to every feed request (memory benchmark).
- ``change?frac=F&seed=S``: every feed whose ``(i + S) % round(1/F) == 0`` gets one new item.
- ``add?feed=I&title=T&text=X``: one new item on feed I whose article page carries ``text``;
  answers the item's article URL.
- ``latency?s=S``: add S seconds before every response (feeds, articles, robots.txt).
- ``log?on=1`` starts recording ``[time, path, status]`` per request; ``log`` returns and clears it.
- ``cpu``: the server's own CPU seconds.

The tests' thread-per-connection server (tests/support/feed_server.py) tops out at a few hundred
requests per second on this machine, below what the crawler can poll; this one answers from
precomputed bytes on one event loop, keeps connections alive, and never parses more than it needs.
"""

from __future__ import annotations

import asyncio
import html
import json
import socket
import sys
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

ITEMS = 30
BASE_TIME = 1_790_000_000  # Last-Modified of generation 0; each generation adds a minute
ROBOTS = b"User-agent: *\nAllow: /\n"


class State:
    """The feeds and their generations; bodies are built once per (feed, generation)."""

    def __init__(self) -> None:
        self.n = 0
        self.epoch = 0
        self.mode = "normal"
        self.gen: list[int] = []
        self.extra: dict[tuple[int, int], tuple[str, str]] = {}  # (feed, item number) -> (title, text)
        self.cache: dict[int, tuple[int, bytes, bytes, bytes]] = {}  # feed -> (gen, body, etag, last-mod)
        self.latency = 0.0
        self.log: list[list[object]] | None = None
        self.port = 0

    def setup(self, n: int, epoch: int, mode: str) -> None:
        """Start over with ``n`` feeds."""
        self.n, self.epoch, self.mode = n, epoch, mode
        self.gen = [0] * n
        self.extra.clear()
        self.cache.clear()

    def item(self, feed: int, number: int) -> tuple[str, str, str]:
        """(article path, title, summary) of item ``number`` of ``feed``."""
        path = f"/articles/{self.epoch}-{feed}-{number}"
        if (feed, number) in self.extra:
            title, text = self.extra[(feed, number)]
            return path, title, text
        title = f"Regional council {feed} approves budget for road repairs, item {number}"
        summary = (
            f"The council of district {feed} voted on Tuesday to fund repairs of {number % 9 + 2} bridges "
            "and a market road; officials said work would start next month."
        )
        return path, title, summary

    def feed(self, feed: int) -> tuple[bytes, bytes, bytes]:
        """(body, etag, last-modified) of ``feed`` at its current generation."""
        gen = self.gen[feed]
        cached = self.cache.get(feed)
        if cached is not None and cached[0] == gen:
            return cached[1], cached[2], cached[3]
        base = f"http://127.0.0.1:{self.port}"
        parts = []
        for number in range(gen + ITEMS - 1, gen - 1, -1):  # newest first; a new generation adds one
            path, title, summary = self.item(feed, number)
            url = html.escape(base + path)
            parts.append(
                f"<item><title>{html.escape(title)}</title><link>{url}</link><guid>{url}</guid>"
                f"<description>{html.escape(summary)}</description>"
                f"<pubDate>{formatdate(BASE_TIME + 60 * number, usegmt=True)}</pubDate></item>"
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {feed}</title><link>{base}/</link><language>en</language>"
            f"<description>Feed {feed}</description>" + "".join(parts) + "</channel></rss>"
        ).encode()
        etag = f'"{self.epoch}-{feed}-{gen}"'.encode()
        modified = formatdate(BASE_TIME + 60 * gen, usegmt=True).encode()
        self.cache[feed] = (gen, body, etag, modified)
        return body, etag, modified

    def article(self, path: str) -> bytes:
        """A small article page for ``/articles/<epoch>-<feed>-<number>``."""
        try:
            _, feed, number = (int(p) for p in path.rsplit("/", 1)[1].split("-"))
        except ValueError:
            return b""
        _, title, _ = self.item(feed, number)
        text = self.extra.get((feed, number), ("", ""))[1] or self.item(feed, number)[2] * 4
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
        return (
            f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
            "<footer>Bench Wire</footer></body></html>"
        ).encode()

    def control(self, op: str, q: dict[str, str]) -> bytes:
        """Apply one control operation; returns a JSON answer."""
        answer: object = "ok"
        if op == "setup":
            self.setup(int(q.get("n", "0")), int(q.get("epoch", "0")), q.get("mode", "normal"))
        elif op == "change":
            step = max(1, round(1 / float(q["frac"])))
            seed = int(q.get("seed", "0"))
            changed = [i for i in range(self.n) if (i + seed) % step == 0]
            for i in changed:
                self.gen[i] += 1
            answer = len(changed)
        elif op == "add":
            feed = int(q["feed"])
            self.gen[feed] += 1
            number = self.gen[feed] + ITEMS - 1
            self.extra[(feed, number)] = (q.get("title", ""), q.get("text", ""))
            answer = f"http://127.0.0.1:{self.port}{self.item(feed, number)[0]}"
        elif op == "latency":
            self.latency = float(q["s"])
        elif op == "log":
            if q.get("on"):
                self.log = []
            else:
                answer, self.log = self.log or [], [] if self.log is not None else None
        elif op == "cpu":
            answer = time.process_time()
        return json.dumps(answer).encode()


class Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; one request at a time per connection (no pipelining needed)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.request(head)

    def request(self, head: bytes) -> None:
        """Answer one request (its head only: the benchmarks send no bodies)."""
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1] if " " in lines[0] else "/"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        close = headers.get("connection", "").lower() == "close" or lines[0].endswith("1.0")
        path = urlsplit(target).path
        state = self.state
        extra = b""
        status, body, ctype = 404, b"not found", b"text/plain"
        if path.startswith("/feeds/") and path.endswith(".xml"):
            index = int(path[7:-4]) if path[7:-4].isdigit() else -1
            if 0 <= index < state.n:
                if state.mode == "304":
                    status, body = 304, b""
                else:
                    data, etag, modified = state.feed(index)
                    match = headers.get("if-none-match")
                    fresh = etag in match.encode() if match else headers.get("if-modified-since") == modified.decode()
                    status, body, ctype = (304, b"", b"") if fresh else (200, data, b"application/rss+xml")
                    extra = b"ETag: " + etag + b"\r\nLast-Modified: " + modified + b"\r\n"
        elif path.startswith("/articles/"):
            status, body, ctype = 200, state.article(path), b"text/html; charset=utf-8"
        elif path == "/robots.txt":
            status, body, ctype = 200, ROBOTS, b"text/plain"
        elif path.startswith("/_ctl/"):
            query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
            status, body, ctype = 200, state.control(path[6:], query), b"application/json"
        if state.log is not None and not path.startswith("/_ctl/"):
            state.log.append([time.time(), path, status])
        reason = {200: b"OK", 304: b"Not Modified", 404: b"Not Found"}[status]
        out = b"HTTP/1.1 %d %s\r\n%s" % (status, reason, extra)
        if ctype:
            out += b"Content-Type: " + ctype + b"\r\n"
        if status != 304:
            out += b"Content-Length: %d\r\n" % len(body)
        out += b"Connection: close\r\n\r\n" if close else b"\r\n"
        delay = state.latency if not path.startswith("/_ctl/") else 0.0
        if delay:
            asyncio.get_running_loop().call_later(delay, self.send, out + body, close)
        else:
            self.send(out + body, close)

    def send(self, data: bytes, close: bool) -> None:
        """Write a response (and close when the client asked to)."""
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(data)
        if close:
            self.transport.close()


async def serve() -> None:
    """Listen on 127.0.0.1 (a free port), print it, serve until stdin closes."""
    state = State()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Http(state), "127.0.0.1", 0, backlog=4096)
    state.port = server.sockets[0].getsockname()[1]
    smtp = _smtp_sink()
    print(state.port, smtp.port, flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes our stdin (or dies)
    server.close()
    smtp.stop()


def _smtp_sink() -> Any:
    """An aiosmtpd server on 127.0.0.1 that accepts and drops every message (for the peer's mail)."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


if __name__ == "__main__":
    asyncio.run(serve())
