"""Feed polling: aidwatch's real spider and pipelines vs rss2email 3.14, and the machine's floors.

One feed server process (bench/feedserver.py: N feeds of 30 items, ETag + Last-Modified, 304 on
match) serves both sides in the same run. aidwatch runs in a child process (bench/aidwatch_polls.py),
rss2email in its own venv (bench/peer.py). Scenarios per N: all new (first poll of fresh feeds),
all unchanged (every feed answers 304), 10% changed (one new item on every tenth feed), and the
1,000-feed unchanged run with 50 ms added to every response. Figures are medians of the runs.

Set-up that is not measured: for N >= 1,000 the first poll is replaced by writing its outcome
through the storage layer (aidwatch) or by ``r2e run --no-send`` (peer); the all-new figures come
from N = 100 (3,000 entries per run, three fresh databases). rss2email polls one feed at a time, so
its 50 ms run is measured on 100 feeds and scaled by 10 (its time is linear in the feed count).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench import results_dir
from bench.common import FeedServerProcess, figure, median, run_child
from bench.peer import floors, peer_runs

RUNS = 3
OURS: list[dict[str, Any]] = [
    {"n": 100, "runs": RUNS, "new_runs": RUNS},
    {"n": 1000, "runs": RUNS, "new_runs": 0, "latency": 0.05},
    {"n": 5000, "runs": 1, "new_runs": 0},
]
PEERS: list[dict[str, Any]] = [
    {"n": 100, "runs": RUNS, "new_runs": RUNS, "latency": 0.05, "latency_runs": 1},
    {"n": 1000, "runs": RUNS, "new_runs": 0},
]
PEER_NAME = "rss2email 3.14"


def _pick(results: list[dict[str, Any]], scenario: str, key: str) -> float | None:
    values = [r[key] for r in results if r["scenario"] == scenario]
    return median(values) if values else None


def _per(results: list[dict[str, Any]], scenario: str, what: str) -> float | None:
    """Median over runs of a derived figure: ``polls_s``, ``cpu_ms`` (per poll), ``entries_s``, ``wall``."""
    runs = [r for r in results if r["scenario"] == scenario]
    if not runs:
        return None
    if what == "polls_s":
        return median([r["n"] / r["wall"] for r in runs])
    if what == "cpu_ms":
        return median([1000 * r["cpu"] / r["n"] for r in runs])
    if what == "entries_s":
        return median([r.get("articles", 30 * r["n"]) / r["wall"] for r in runs])
    if what == "entry_cpu_ms":
        return median([1000 * r["cpu"] / r.get("articles", 30 * r["n"]) for r in runs])
    return median([r["wall"] for r in runs])


def _figures(ours: list[dict[str, Any]], peer: list[dict[str, Any]], floor: dict[str, list[float]]) -> list[dict]:
    rows: list[dict[str, Any]] = []

    def add(name: str, scenario: str, what: str, unit: str, target: str = "", **extra: Any) -> None:
        value = _per(ours, scenario, what)
        if value is None:
            return
        base = _per(peer, scenario, what)
        kwargs: dict[str, Any] = {"baseline": base, "baseline_name": PEER_NAME} if base is not None else {}
        rows.append(figure(name, value, unit, target=target, **kwargs, **extra))

    parse_ms, http_polls, http_cpu = (median(floor[k]) for k in ("parse_ms", "http_polls_s", "http_cpu_ms"))
    for n in (100, 1000, 5000):
        unchanged = f"unchanged/{n}"
        add(
            f"unchanged {n}: CPU per poll",
            unchanged,
            "cpu_ms",
            "ms",
            "<= 1.0",
            floor=http_cpu,
            floor_name="bare aiohttp GET loop",
        )
        add(
            f"unchanged {n}: polls/s",
            unchanged,
            "polls_s",
            "polls/s",
            ">= 1000",
            floor=http_polls,
            floor_name="bare aiohttp GET loop",
        )
        add(f"unchanged {n}: wall", unchanged, "wall", "s")
        add(f"10% changed {n}: CPU per poll", f"changed/{n}", "cpu_ms", "ms")
        add(f"10% changed {n}: wall", f"changed/{n}", "wall", "s")
        cpu_changed, cpu_same = _per(ours, f"changed/{n}", "cpu_ms"), _per(ours, unchanged, "cpu_ms")
        if cpu_changed is not None and cpu_same is not None:
            # The changed tenth costs 10x the run's extra CPU on top of an unchanged poll.
            rows.append(
                figure(
                    f"10% changed {n}: CPU per changed feed",
                    cpu_same + 10 * (cpu_changed - cpu_same),
                    "ms",
                    floor=parse_ms,
                    floor_name="feedparser alone, same bytes",
                )
            )
    add("all new 100: entries stored/s", "new/100", "entries_s", "entries/s", ">= 2000")
    add("all new 100: CPU per entry", "new/100", "entry_cpu_ms", "ms")
    add("all new 100: wall (3,000 entries)", "new/100", "wall", "s")
    slow = _per(ours, "slow/1000", "wall")
    if slow is not None:
        peer_slow = _per(peer, "slow/100", "wall")
        kwargs: dict[str, Any] = (
            {"baseline": 10 * peer_slow, "baseline_name": PEER_NAME + " (100 feeds x 10)"} if peer_slow else {}
        )
        rows.append(figure("unchanged 1000 at +50 ms: wall", slow, "s", target="<= 3", **kwargs))
    return rows


def run() -> list[dict[str, Any]]:
    """All polling figures (ours, the peer's and the floors, from one feed server in one run)."""
    with FeedServerProcess() as server, tempfile.TemporaryDirectory(prefix="aidwatch-bench-peer-") as tmp:
        print("   aidwatch polls", flush=True)
        ours = run_child("bench.aidwatch_polls", {"port": server.port, "steps": OURS})
        print("   rss2email polls", flush=True)
        peer = peer_runs(server, Path(tmp), PEERS)
        print("   floors", flush=True)
        floor = floors(server, 1000, RUNS)
    raw = results_dir() / "polling-runs.json"  # every run, for the record
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"aidwatch": ours, "peer": peer, "floors": floor}, indent=1) + "\n")
    return _figures(ours, peer, floor)
