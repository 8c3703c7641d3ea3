"""`aidwatch classify` contract (docs/classifier.md, Use) through ``run_classify``."""

from __future__ import annotations

import io
import json
from pathlib import Path

from alerts.classify.cli import run_classify

KEYS = {
    "id",
    "is_attack",
    "score",
    "categories",
    "event_types",
    "country",
    "location",
    "killed",
    "injured",
    "kidnapped",
    "perpetrator",
    "evidence",
}


def _run(data: str) -> tuple[int, list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run_classify(io.StringIO(data), out, errfile=err)
    return rc, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_json_lines_in_one_line_out_per_document() -> None:
    docs = [
        {
            "id": "a",
            "title": "Clinic attacked",
            "text": "Gunmen stormed an MSF clinic in Kunduz and killed three nurses.",
        },
        {"id": 7, "title": "Markets", "text": "Shares rose on Monday."},
    ]
    rc, lines, err = _run("".join(json.dumps(d) + "\n" for d in docs))
    assert rc == 0 and err == ""
    assert [line["id"] for line in lines] == ["a", 7]
    assert all(set(line) >= KEYS for line in lines)
    assert lines[0]["is_attack"] is True and lines[0]["country"] == "AF"
    assert lines[1]["is_attack"] is False
    assert 0.0 <= lines[1]["score"] <= 1.0


def test_malformed_line_is_reported_and_the_run_continues() -> None:
    data = (
        '{"id": 1, "title": "", "text": "Aid workers were kidnapped."}\n{not json\n\n[1, 2]\n{"id": 4, "text": "ok"}\n'
    )
    rc, lines, err = _run(data)
    assert rc == 1
    assert [line["id"] for line in lines] == [1, 4]
    assert "line 2:" in err and "line 4:" in err


def test_plain_text_file_is_one_document(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Armed men looted a WFP warehouse.\n\nThey also burned two trucks.\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_classify(str(path), out, errfile=err) == 0
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["id"] == "report.txt" and line["is_attack"] is True


def test_missing_file_exits_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_classify(str(tmp_path / "absent.jsonl"), io.StringIO(), errfile=err) == 2
    assert "cannot read" in err.getvalue()
