"""Run every benchmark, print one table and write bench/results/latest.json.

Each figure is a dict: ``name``, ``value``, ``unit`` and optionally ``baseline`` (the peer's or the
floor's value measured in the same run), ``baseline_name`` and ``target``.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

MODULES = ["bench.classify"]
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _machine() -> dict[str, object]:
    import os

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main(argv: list[str]) -> int:
    """Run the named benchmark modules (all by default)."""
    selected = [m for m in MODULES if not argv or m.rsplit(".", 1)[-1] in argv]
    figures: list[dict[str, object]] = []
    started = time.time()
    for name in selected:
        module = importlib.import_module(name)
        print(f"== {name}", flush=True)
        figures.extend({"bench": name.rsplit(".", 1)[-1], **figure} for figure in module.run())
    width = max((len(str(f["name"])) for f in figures), default=10)
    print(f"\n{'figure':<{width}}  {'value':>12} {'unit':<10} {'baseline':>12}  baseline is")
    for figure in figures:
        baseline = figure.get("baseline")
        base = f"{baseline:>12.4g}" if isinstance(baseline, int | float) else f"{'-':>12}"
        print(
            f"{figure['name']!s:<{width}}  {figure['value']:>12.4g} {figure['unit']!s:<10} {base}  "
            f"{figure.get('baseline_name', '')}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": _machine(), "seconds": round(time.time() - started, 1), "figures": figures}, indent=2
        )
        + "\n"
    )
    print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
