"""Classifier benchmark: throughput and peak memory, side by side with a TF-IDF + logistic regression baseline.

``run()`` returns one dict per figure: ``name, value, unit, baseline`` (the baseline's value for the same
measurement, trained on the same dev rows in the same run). Throughput is single-process, one document
per call (as the crawler feeds them), on incident-note-sized and article-sized texts. Peak memory is
the maximum RSS of a fresh subprocess that loads the classifier and classifies the notes, so the
figure includes the interpreter and every import.

Uses ../shared/corpus/dev.jsonl when present, else the small test fixture (figures then only show the
harness works).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / ".." / "shared" / "corpus" / "dev.jsonl"
FIXTURE = REPO / "tests" / "classify" / "fixtures" / "mini_corpus.jsonl"
BUDGET_S = 6.0  # seconds of timing per throughput figure (keeps the whole run well under 2 minutes)

_RSS_OURS = """
import json, sys
from alerts.classify import classify
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
for r in rows:
    classify(r.get("title") or "", r["text"])
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")))
"""

_RSS_BASELINE = """
import json, sys
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
docs = [(r.get("title") or "") + "\\n" + r["text"] for r in rows]
vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
clf = LogisticRegression(max_iter=2000, C=10.0).fit(vec.fit_transform(docs), [r["label"] for r in rows])
for d in docs:
    clf.predict_proba(vec.transform([d]))
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")))
"""


def _rows() -> tuple[list[dict], Path]:
    path = DEV if DEV.exists() else FIXTURE
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()], path


def _rate(fn: Callable[[str, str], object], docs: Sequence[tuple[str, str]]) -> float:
    """Documents per second, cycling through ``docs`` for about BUDGET_S seconds."""
    n = 0
    start = time.perf_counter()
    while True:
        for title, text in docs:
            fn(title, text)
            n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= BUDGET_S or n >= 200_000:
            return n / elapsed


def _peak_rss_mb(script: str, path: Path) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True, text=True, check=True, timeout=300
    )
    return int(proc.stdout.strip().splitlines()[-1]) / 1024.0  # Linux reports KiB


def run() -> list[dict[str, object]]:
    """Measure and return the figures (see the module docstring)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from alerts.classify import classify

    rows, path = _rows()
    notes = [(r.get("title") or "", r["text"]) for r in rows if r["kind"] == "incident_note"]
    articles = [(r.get("title") or "", r["text"]) for r in rows if r["kind"] == "news_article"]
    docs = [f"{r.get('title') or ''}\n{r['text']}" for r in rows]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    base = LogisticRegression(max_iter=2000, C=10.0).fit(vec.fit_transform(docs), [r["label"] for r in rows])

    def baseline(title: str, text: str) -> object:
        return base.predict_proba(vec.transform([f"{title}\n{text}"]))

    def ours(title: str, text: str) -> object:
        return classify(title, text)

    ours("warm-up", "Gunmen attacked a clinic.")  # builds lexicons and gazetteer once
    figures: list[dict[str, object]] = [
        {
            "name": "classify_notes_throughput",
            "value": round(_rate(ours, notes), 1),
            "unit": "docs/s",
            "baseline": round(_rate(baseline, notes), 1),
            "docs": len(notes),
            "mean_chars": round(sum(len(t) + len(h) for h, t in notes) / max(1, len(notes))),
        },
        {
            "name": "classify_articles_throughput",
            "value": round(_rate(ours, articles), 1) if articles else None,
            "unit": "docs/s",
            "baseline": round(_rate(baseline, articles), 1) if articles else None,
            "docs": len(articles),
            "mean_chars": round(sum(len(t) + len(h) for h, t in articles) / max(1, len(articles))),
        },
        {
            "name": "classify_peak_rss",
            "value": round(_peak_rss_mb(_RSS_OURS, path), 1),
            "unit": "MB",
            "baseline": round(_peak_rss_mb(_RSS_BASELINE, path), 1),
        },
    ]
    for fig in figures:
        fig["data"] = path.name
        fig["baseline_name"] = "tfidf+logreg (scikit-learn, word 1-2 grams)"
    return figures


def main() -> None:
    """Print the figures as a table and as JSON lines."""
    figures = run()
    for f in figures:
        print(f"{f['name']:<30} {f['value']!s:>10} {f['unit']:<6} baseline {f['baseline']!s:>10} {f['unit']}")
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
