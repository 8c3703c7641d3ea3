"""The feed parser worker process: ``python -m crawler.parser_worker`` (started by crawler.parser_pool).

Reads requests from stdin and writes replies to stdout, each a 4-byte big-endian length and a
pickle: request ``(body, url, headers)``, reply ``("ok", ParsedFeed)`` or ``("error", message)``.
Only ``crawler.feed_parser`` (feedparser, w3lib) is loaded here. End of stdin (the crawler stopped or
died) ends the process.
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import BinaryIO, cast

from crawler.feed_parser import FeedParseError, parse_feed

HEADER = struct.Struct(">I")


def read_message(stream: BinaryIO) -> object | None:
    """One framed pickle from ``stream``; None at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def frame(message: object) -> bytes:
    """``message`` pickled and framed with its length."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer parse requests until ``requests`` ends."""
    while (request := read_message(requests)) is not None:
        body, url, headers = cast(tuple[bytes, str, dict[str, str]], request)
        try:
            reply: tuple[str, object] = ("ok", parse_feed(body, url, headers))
        except FeedParseError as exc:
            reply = ("error", str(exc))
        except Exception as exc:  # a parser bug on this body: the feed fails, the worker goes on
            reply = ("error", f"parser failed: {type(exc).__name__}: {exc}"[:500])
        replies.write(frame(reply))
        replies.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
