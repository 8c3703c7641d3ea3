"""Benchmarks (`make bench`): each module has ``run() -> list[dict]`` returning its figures."""

from __future__ import annotations

import os
from pathlib import Path

RECORDED = Path(__file__).resolve().parent / "results"  # tracked: the figures docs/benchmarks.md quotes
SCRATCH = Path(__file__).resolve().parent.parent / "var" / "bench"  # ignored by git


def results_dir() -> Path:
    """Where a run writes its results: ``bench/results`` when recording (``AIDWATCH_BENCH_RECORD=1``,
    i.e. ``make bench RECORD=1``), else the ignored ``var/bench``, so a trial run leaves the tree clean."""
    return RECORDED if os.environ.get("AIDWATCH_BENCH_RECORD", "") not in ("", "0") else SCRATCH
