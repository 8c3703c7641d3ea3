"""The evaluation harness itself, on a small hand-written corpus (tests/classify/fixtures/mini_corpus.jsonl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alerts.classify.evaluate import evaluate, format_report, prf, seed_result
from alerts.classify.train import group_key, load_rows

FIXTURE = Path(__file__).parent / "fixtures" / "mini_corpus.jsonl"


def test_prf_counts() -> None:
    m = prf([(1, 1), (1, 0), (0, 1), (0, 0), (1, 1)])
    assert (m["tp"], m["fp"], m["fn"], m["n"]) == (2, 1, 1, 5)
    assert m["p"] == pytest.approx(2 / 3) and m["r"] == pytest.approx(2 / 3)


def test_group_key_keeps_same_day_same_country_together() -> None:
    a = {"id": "x:1", "date": "2024-01-02", "country": "Mali"}
    b = {"id": "y:9", "date": "2024-01-02", "country": "mali"}
    c = {"id": "z:3", "date": "2024", "country": "Mali"}
    assert group_key(a) == group_key(b)
    assert group_key(c) == "z:3"


@pytest.mark.slow  # fits a model with scikit-learn: an evaluation run, not a unit test
def test_harness_on_fixture() -> None:
    rows = load_rows(FIXTURE)
    res: dict[str, Any] = evaluate(rows, k=2, seed=3)
    pooled = res["pooled"]
    assert isinstance(pooled, dict)
    assert pooled["n"] == len(rows)
    assert pooled["tp"] + pooled["fn"] == sum(r["label"] for r in rows)
    assert set(res["by_kind"]) == {"incident_note", "news_article"}
    assert set(res["by_lang"]) == {"en"}
    assert res["long_untouched_n"] >= 1  # the two long articles were scored untouched
    planted = res["long_planted"]
    assert isinstance(planted, dict) and planted["n"] >= 1
    # Hand-written clear cases: even a model fitted on 13 rows gets most of them.
    assert pooled["f1"] >= 0.7
    report = format_report(res, None)
    assert "pooled" in report and "long-article test" in report and "seed article: ../shared/seed not found" in report


def test_seed_result_absent_is_none(tmp_path: Path) -> None:
    assert seed_result(tmp_path / "missing.txt") is None
