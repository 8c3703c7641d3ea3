"""Shared pieces of the benchmarks: the feed server process, child processes, medians, figures."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[1]


class FeedServerProcess:
    """``bench.feedserver`` in its own process (its CPU is not the measured process's)."""

    def __init__(self, port: int | None = None) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.smtp_port = 0
        if port is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.feedserver"],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self.proc.stdout is not None
            port, self.smtp_port = (int(p) for p in self.proc.stdout.readline().split())
        self.port = port
        self.base = f"http://127.0.0.1:{self.port}"
        self.client = httpx2.Client(base_url=self.base, timeout=30)

    @classmethod
    def attach(cls, port: int) -> FeedServerProcess:
        """A client of a server another process started."""
        return cls(port)

    def ctl(self, op: str, **query: object) -> Any:
        """One control operation (see bench/feedserver.py); returns its JSON answer."""
        response = self.client.get(f"/_ctl/{op}", params={k: str(v) for k, v in query.items()})
        response.raise_for_status()
        return response.json()

    def feed_url(self, index: int) -> str:
        """URL of feed ``index``."""
        return f"{self.base}/feeds/{index}.xml"

    def close(self) -> None:
        """Stop the server (closing its stdin ends it)."""
        self.client.close()
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> FeedServerProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def run_child(module: str, payload: dict[str, Any], timeout: float = 600) -> Any:
    """Run ``python -m <module> --child`` with ``payload`` as JSON on stdin; returns its JSON stdout line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", module, "--child"],
        cwd=REPO,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: Sequence[float]) -> float:
    """The median (0.0 for nothing)."""
    return float(statistics.median(values)) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))])


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    baseline_name: str = "",
    floor: float | None = None,
    floor_name: str = "",
    target: str = "",
    note: str = "",
) -> dict[str, Any]:
    """One row of the table (see bench/__main__.py)."""
    row: dict[str, Any] = {"name": name, "value": round(value, 4), "unit": unit}
    if baseline is not None:
        row["baseline"] = round(baseline, 4)
        row["baseline_name"] = baseline_name
    if floor is not None:
        row["floor"] = round(floor, 4)
        row["floor_name"] = floor_name
    if target:
        row["target"] = target
    if note:
        row["note"] = note
    return row


def proc_cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds so far of the processes ``pids`` (from /proc; a gone process counts 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3, utime 14, stime 15
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def proc_rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def child_pids(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children, their children...)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found
