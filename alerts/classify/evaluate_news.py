"""`make eval-news`: the classifier on the project's own news-style development set (tests/data/news).

The set holds news documents (headline + paragraphs) written for the project in many languages, each
labelled with ``is_attack``, the ``reason`` a non-attack is not one (historical, accident,
responder_only, aggregate, no_violence, no_target), ``country`` and ``killed``. The classifier is
never trained on these rows; the ``test`` split is kept apart from rule design (see docs/classifier.md).

Printed: P/R/F1 pooled, by split, by language and by support level; for each kind of negative how
many were flagged and how many got the right reason; and, on flagged attacks, how often the country
and the number killed are right.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from alerts.classify.classifier import DEFAULT_THRESHOLD, Classifier
from alerts.classify.evaluate import prf
from alerts.models import Verdict

NEWS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "news"
FULL_SUPPORT = ("en", "fr", "es", "ar", "pt")
NEGATIVE_KINDS = ("historical", "accident", "responder_only", "aggregate", "no_violence", "no_target")


@dataclass(frozen=True, slots=True)
class NewsRow:
    """One labelled document of the news set."""

    id: str
    lang: str
    split: str
    published: date | None
    title: str
    text: str
    is_attack: bool
    reason: str
    country: str | None
    killed: int | None


def load_news(folder: Path = NEWS_DIR) -> list[NewsRow]:
    """Every row of every ``*.jsonl`` file in ``folder``; a malformed row raises ValueError naming it."""
    rows: list[NewsRow] = []
    for path in sorted(folder.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                rows.append(
                    NewsRow(
                        id=str(raw["id"]),
                        lang=str(raw["lang"]),
                        split=str(raw.get("split") or "dev"),
                        published=date.fromisoformat(raw["published"]) if raw.get("published") else None,
                        title=str(raw.get("title") or ""),
                        text=str(raw["text"]),
                        is_attack=bool(raw["is_attack"]),
                        reason=str(raw["reason"]),
                        country=raw.get("country") or None,
                        killed=None if raw.get("killed") is None else int(raw["killed"]),
                    )
                )
            except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path.name} line {lineno}: {type(exc).__name__}: {exc}") from exc
    return rows


def judge(rows: Iterable[NewsRow], clf: Classifier) -> list[tuple[NewsRow, Verdict]]:
    """Classify every row as the daemon would: language detected, publication date given."""
    return [(r, clf.classify(r.title, r.text, published=r.published)) for r in rows]


def _line(name: str, m: dict[str, float]) -> str:
    return (
        f"  {name:<22} P={m['p']:.3f} R={m['r']:.3f} F1={m['f1']:.3f}  "
        f"(n={m['n']}, tp={m['tp']}, fp={m['fp']}, fn={m['fn']})"
    )


def report(judged: list[tuple[NewsRow, Verdict]]) -> dict[str, Any]:
    """Every figure as plain data."""
    pairs = [(int(r.is_attack), int(v.is_attack)) for r, v in judged]
    by: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for (r, _v), pair in zip(judged, pairs, strict=True):
        by["split"][r.split].append(pair)
        by["lang"][r.lang].append(pair)
        by["support"]["full" if r.lang in FULL_SUPPORT else "partial"].append(pair)
    negatives: dict[str, dict[str, int]] = {}
    for kind in NEGATIVE_KINDS:
        rows = [(r, v) for r, v in judged if not r.is_attack and r.reason == kind]
        negatives[kind] = {
            "n": len(rows),
            "flagged": sum(1 for _r, v in rows if v.is_attack),
            "reason_right": sum(1 for _r, v in rows if v.reason == kind),
        }
    hits = [(r, v) for r, v in judged if r.is_attack and v.is_attack]
    with_country = [(r, v) for r, v in hits if r.country]
    return {
        "pooled": prf(pairs),
        **{key: {k: prf(v) for k, v in sorted(groups.items())} for key, groups in by.items()},
        "negatives": negatives,
        "country": {"right": sum(1 for r, v in with_country if v.country == r.country), "n": len(with_country)},
        "killed": {"right": sum(1 for r, v in hits if v.killed == r.killed), "n": len(hits)},
        "errors": [
            {"id": r.id, "gold": r.reason, "got": v.reason, "score": round(v.score, 3)}
            for r, v in judged
            if r.is_attack != v.is_attack
        ],
    }


def format_report(res: dict[str, Any]) -> str:
    """The report as printed by ``make eval-news``."""
    out = [_line("pooled", res["pooled"])]
    for key in ("split", "support", "lang"):
        out.append(f"by {key}:")
        out += [_line(k, m) for k, m in res[key].items()]
    out.append("negatives by kind (flagged = false alarms; reason right = the verdict names the kind):")
    for kind, c in res["negatives"].items():
        out.append(f"  {kind:<22} n={c['n']:<4} flagged={c['flagged']:<4} reason right={c['reason_right']}")
    for field in ("country", "killed"):
        c = res[field]
        rate = c["right"] / c["n"] if c["n"] else 0.0
        out.append(f"{field} right on flagged attacks: {c['right']}/{c['n']} = {rate:.3f}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (`make eval-news`)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=NEWS_DIR, help="folder of *.jsonl files")
    ap.add_argument("--split", choices=("dev", "test", "all"), default="all")
    ap.add_argument("--errors", action="store_true", help="list every misjudged row (id, gold, got)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = ap.parse_args(argv)
    try:
        rows = load_news(args.data)
    except ValueError as exc:
        print(f"news set: {exc}", file=sys.stderr)
        return 2
    if args.split != "all":
        rows = [r for r in rows if r.split == args.split]
    if not rows:
        print(f"no news rows in {args.data}", file=sys.stderr)
        return 2
    res = report(judge(rows, Classifier(threshold=args.threshold)))
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    print(f"news set: {len(rows)} rows from {args.data} (split: {args.split})")
    print(format_report(res))
    if args.errors:
        print("misjudged:")
        for e in res["errors"]:
            print(f"  {e['id']:<10} gold={e['gold']:<15} got={e['got']:<15} score={e['score']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
