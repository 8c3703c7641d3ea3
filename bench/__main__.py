"""Run every benchmark, print one table and write latest.json (under var/bench, or bench/results when recording).

Each figure is a dict: ``name``, ``value``, ``unit`` and optionally ``baseline`` (the peer's or the
floor's value measured in the same run), ``baseline_name``, ``floor`` and ``floor_name`` (the
machine's limit for the same measurement) and ``target`` ("<= x" or ">= x"). Ratios are ours/theirs.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

from bench import RECORDED, results_dir

MODULES = ["bench.classify", "bench.polling", "bench.latency", "bench.memory", "bench.cluster"]


def _machine() -> dict[str, object]:
    import os

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": model,
    }


def _met(value: float, target: str) -> str:
    """'yes'/'NO' for a target such as '<= 1.0' or '>= 1000'."""
    op, _, bound = target.partition(" ")
    ok = value <= float(bound) if op == "<=" else value >= float(bound)
    return "yes" if ok else "NO"


def _print_table(figures: list[dict[str, object]]) -> None:
    """One line per figure: value, the peer's/baseline's value and ratio, the floor and ratio, target."""
    width = max((len(str(f["name"])) for f in figures), default=10)
    print(
        f"\n{'figure':<{width}}  {'value':>9} {'unit':<9} {'baseline':>9} {'ratio':>7}  {'floor':>9} {'ratio':>7}"
        f"  {'target':<8} met  baseline / floor"
    )
    for f in figures:
        value = float(f["value"])  # type: ignore[arg-type]
        cells = []
        for key in ("baseline", "floor"):
            other = f.get(key)
            if isinstance(other, int | float) and other:
                cells.append(f"{other:>9.4g} {value / other:>6.2f}x")
            else:
                cells.append(f"{'-':>9} {'-':>7}")
        target = str(f.get("target", ""))
        names = " / ".join(str(f[k]) for k in ("baseline_name", "floor_name") if f.get(k))
        print(
            f"{f['name']!s:<{width}}  {value:>9.4g} {f['unit']!s:<9} {cells[0]}  {cells[1]}  {target:<8} "
            f"{_met(value, target) if target else '':<4} {names}"
        )


def _markdown() -> None:
    """Print the recorded bench/results/latest.json as a Markdown table (for docs/benchmarks.md)."""
    data = json.loads((RECORDED / "latest.json").read_text())
    print("| figure | ours | peer / baseline | ours/peer | floor | ours/floor | target | met |")
    print("|---|---|---|---|---|---|---|---|")
    for f in data["figures"]:
        value, unit = float(f["value"]), f["unit"]
        cells = []
        for key in ("baseline", "floor"):
            other = f.get(key)
            name = f.get(f"{key}_name", "")
            cells += [f"{other:.4g} {unit} ({name})", f"{value / other:.2f}x"] if other else ["-", "-"]
        target = f.get("target", "")
        met = _met(value, target) if target else ""
        print(f"| {f['name']} | {value:.4g} {unit} | {' | '.join(cells)} | {target} | {met} |")


def main(argv: list[str]) -> int:
    """Run the named benchmark modules (all by default); ``--markdown`` prints the last results."""
    if argv == ["--markdown"]:
        _markdown()
        return 0
    selected = [m for m in MODULES if not argv or m.rsplit(".", 1)[-1] in argv]
    figures: list[dict[str, object]] = []
    started = time.time()
    for name in selected:
        module = importlib.import_module(name)
        print(f"== {name}", flush=True)
        figures.extend({"bench": name.rsplit(".", 1)[-1], **figure} for figure in module.run())
    _print_table(figures)
    results = results_dir() / "latest.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    if argv and results.exists():
        # A partial run (`python -m bench cluster`) keeps the other benchmarks' figures of the last run.
        ran = {name.rsplit(".", 1)[-1] for name in selected}
        kept = [f for f in json.loads(results.read_text()).get("figures", []) if f.get("bench") not in ran]
        figures = kept + figures
    results.write_text(
        json.dumps({"machine": _machine(), "seconds": round(time.time() - started, 1), "figures": figures}, indent=2)
        + "\n"
    )
    print(f"\nwritten to {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
