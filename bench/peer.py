"""The peer, rss2email 3.14, in its own venv (bench/.peer-venv, created on first use), and the floors.

rss2email polls one feed at a time with feedparser (conditional GET with the stored ETag and
Last-Modified) and mails each new entry; here through SMTP to an aiosmtpd sink in the feed server's
process. Its CPU is the ``r2e run`` process's own (``os.wait4`` rusage), like ours.

Floors: feedparser alone on the same feed bytes (CPU per parse, in a child process), and a bare
concurrent aiohttp GET loop against the same server (conditional requests, polls/s ceiling;
httpx's async client was slower than the crawler itself here, so it is no ceiling).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, FeedServerProcess

PEER_VENV = REPO / "bench" / ".peer-venv"
PEER = "rss2email==3.14"


def ensure_peer() -> Path:
    """The r2e executable, installing rss2email into bench/.peer-venv on first use."""
    r2e = PEER_VENV / "bin" / "r2e"
    if not r2e.exists():
        print(f"   creating {PEER_VENV} with {PEER} (first run only)", flush=True)
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "--quiet", PEER], check=True)
    return r2e


class Peer:
    """One rss2email configuration (config + data file) for feeds 0..n-1 of the server."""

    def __init__(self, server: FeedServerProcess, folder: Path, n: int) -> None:
        self.r2e = ensure_peer()
        self.folder = folder
        self.n = n
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "r2e.cfg"
        self.data = folder / "r2e.json"
        sections = "".join(f"[feed.f{i}]\nurl = {server.feed_url(i)}\n\n" for i in range(n))
        self.config.write_text(
            "[DEFAULT]\nto = bench@example.org\nfrom = r2e@example.org\nemail-protocol = smtp\n"
            f"smtp-server = 127.0.0.1:{server.smtp_port}\nverbose = error\nfeed-timeout = 30\n\n" + sections
        )

    def run(self, scenario: str, *, send: bool = True) -> dict[str, Any]:
        """``r2e run`` once (``--no-send`` when not ``send``): wall time and the process's CPU time."""
        wall0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(self.r2e), "-c", str(self.config), "-d", str(self.data), "run", *([] if send else ["--no-send"])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - wall0
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode != 0:
            raise RuntimeError(f"r2e run failed ({proc.returncode}): {errors[-2000:]}")
        return {"scenario": scenario, "n": self.n, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime}


def peer_runs(server: FeedServerProcess, folder: Path, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same plan as aidwatch's (see bench/aidwatch_polls.py), for rss2email."""
    results: list[dict[str, Any]] = []
    epoch = 1000
    for step in steps:
        n, runs = step["n"], step["runs"]
        peer = None
        for rep in range(max(1, step.get("new_runs", 1))):
            epoch += 1
            server.ctl("setup", n=n, epoch=epoch)
            peer = Peer(server, folder / f"peer-{n}-{rep}", n)
            if step.get("new_runs", 1):
                results.append(peer.run(f"new/{n}"))
            else:  # primed without mail: its first run is measured at a smaller N only
                peer.run("prime", send=False)
        assert peer is not None
        for _ in range(runs):
            results.append(peer.run(f"unchanged/{n}"))
        for rep in range(runs if step.get("changed", True) else 0):
            server.ctl("change", frac=0.1, seed=rep)
            results.append(peer.run(f"changed/{n}"))
        if step.get("latency"):
            server.ctl("latency", s=step["latency"])
            for _ in range(step.get("latency_runs", runs)):
                results.append(peer.run(f"slow/{n}"))
            server.ctl("latency", s=0)
    return results


_FEEDPARSER_FLOOR = """
import json, sys, time, feedparser, httpx2
base, n = sys.argv[1], int(sys.argv[2])
bodies = [httpx2.get(f"{base}/feeds/{i}.xml").content for i in range(n)]
cpu0 = time.process_time()
for body in bodies:
    feedparser.parse(body)
print(json.dumps({"cpu": time.process_time() - cpu0, "n": n}))
"""

_HTTP_FLOOR = """
import asyncio, json, sys, time, aiohttp
base, n, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
async def main():
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as client:
        validators = {}
        for i in range(n):
            async with client.get(f"/feeds/{i}.xml") as r:
                await r.read()
                validators[i] = {"If-None-Match": r.headers["etag"], "If-Modified-Since": r.headers["last-modified"]}
        queue = list(range(n))
        async def worker():
            while queue:
                i = queue.pop()
                async with client.get(f"/feeds/{i}.xml", headers=validators[i]) as r:
                    await r.read()
                    assert r.status == 304
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return {"wall": time.perf_counter() - wall0, "cpu": time.process_time() - cpu0, "n": n}
print(json.dumps(asyncio.run(main())))
"""


def floors(server: FeedServerProcess, n: int, runs: int) -> dict[str, list[float]]:
    """feedparser CPU ms per 30-item feed, and unchanged polls/s and CPU ms of a bare aiohttp loop."""
    import json

    server.ctl("setup", n=n, epoch=9999)
    out: dict[str, list[float]] = {"parse_ms": [], "http_polls_s": [], "http_cpu_ms": []}
    for _ in range(runs):
        parse = json.loads(_python(_FEEDPARSER_FLOOR, server.base, str(min(n, 300))))
        out["parse_ms"].append(1000 * parse["cpu"] / parse["n"])
        loop = json.loads(_python(_HTTP_FLOOR, server.base, str(n), "32"))
        out["http_polls_s"].append(loop["n"] / loop["wall"])
        out["http_cpu_ms"].append(1000 * loop["cpu"] / loop["n"])
    return out


def _python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]
