"""`aidwatch labels export` as users run it, and training on the corpus plus the exported labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.store import Database, make_database, upgrade
from alerts.store.feedback import label_of, record_feedback
from tests.feeds_out.stored import ingest_report

REPO = Path(__file__).resolve().parents[2]
MINI_CORPUS = REPO / "tests" / "classify" / "fixtures" / "mini_corpus.jsonl"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDWATCH_")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


@pytest.mark.parametrize(
    ("answers", "label"),
    [
        ({"not_an_attack": 2, "wrong_place": 1}, 0),
        ({"wrong_place": 1}, 1),
        ({"wrong_casualties": 1, "other": 3}, 1),
        ({"not_an_attack": 1, "wrong_casualties": 1}, None),
        ({"other": 2}, None),
    ],
    ids=["mostly-no-attack", "wrong-place", "wrong-figures", "tie", "other-only"],
)
def test_label_of_answers(answers: dict[str, int], label: int | None) -> None:
    from collections import Counter

    assert label_of(Counter(answers)) == label


def _database_with_feedback(folder: Path) -> Database:
    db = make_database(f"sqlite:///{folder / 'aidwatch.db'}")
    upgrade(db)
    false_alarm = ingest_report(
        db, NOW, "https://news1.example.org/crash", country="KE", location="Nairobi"
    ).incident_id
    miscoded = ingest_report(db, NOW, "https://news2.example.org/raid", country="SD", location="Nyala").incident_id
    unclear = ingest_report(db, NOW, "https://news3.example.org/other", country="ML", location="Gao").incident_id
    ingest_report(db, NOW, "https://news4.example.org/no-feedback", country="SO", location="Baidoa")
    assert None not in (false_alarm, miscoded, unclear)
    record_feedback(db, false_alarm, "sub_a", "not_an_attack", "a road crash, not an attack", NOW)  # type: ignore[arg-type]
    record_feedback(db, miscoded, "sub_a", "wrong_place", "", NOW)  # type: ignore[arg-type]
    record_feedback(db, unclear, None, "other", "", NOW)  # type: ignore[arg-type]
    return db


def test_labels_export_then_train_on_corpus_and_labels(tmp_path: Path) -> None:
    db = _database_with_feedback(tmp_path)
    db.dispose()
    config = tmp_path / "aidwatch.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "aidwatch.db"}"\n')
    exported = tmp_path / "labels.jsonl"
    result = _run("-m", "crawler.cli", "--config", str(config), "labels", "export", "--out", str(exported))
    assert result.returncode == 0, result.stderr
    assert "3 label rows (2 with a label)" in result.stderr
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert [(r["label"], r["country"]) for r in rows] == [(0, "Kenya"), (1, "Sudan"), (None, "Mali")]
    assert all(r["kind"] == "feedback" and r["text"] and r["id"].startswith("aidwatch:article:") for r in rows)
    assert all("comment" not in json.dumps(r) for r in rows)  # free text from people is not exported
    assert rows[0]["answers"] == {"not_an_attack": 1}

    stdout = _run("-m", "crawler.cli", "--config", str(config), "labels", "export")
    assert stdout.returncode == 0 and stdout.stdout.splitlines() == exported.read_text().splitlines()

    model = tmp_path / "model.json"
    trained = _run(
        "-m", "alerts.classify.train", "--data", str(MINI_CORPUS), "--labels", str(exported), "--out", str(model)
    )
    assert trained.returncode == 0, trained.stderr
    assert f"read 3 label rows from {exported} (2 used for training)" in trained.stdout
    meta = json.loads(model.read_text())["meta"]
    corpus_rows = sum(1 for line in MINI_CORPUS.read_text().splitlines() if line.strip())
    assert meta["corpus_rows"] == corpus_rows and meta["rows"] == corpus_rows + 2
    assert meta["labels"] == [{"file": "labels.jsonl", "rows": 3, "used": 2}]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"id": "x", "text": "t"}\n', "missing label"), ("not json\n", "unusable labels file")],
    ids=["no-label", "not-json"],
)
def test_train_refuses_a_broken_labels_file(tmp_path: Path, content: str, message: str) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(content)
    result = _run(
        "-m",
        "alerts.classify.train",
        "--data",
        str(MINI_CORPUS),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "m.json"),
    )
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "m.json").exists()


def test_labels_export_to_an_unwritable_path_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "aidwatch.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "aidwatch.db"}"\n')
    result = _run("-m", "crawler.cli", "--config", str(config), "labels", "export", "--out", str(tmp_path / "no" / "x"))
    assert result.returncode == 2 and "--out" in result.stderr
