"""`aidwatch classify [FILE|-]`.

Input: JSON lines ``{"id", "title", "text"}`` (optional ``lang`` and ``published`` ISO date are honoured),
or a plain-text file, which is one document (id = the file name, no title). The mode is decided by the
first non-blank line: a JSON object means JSON lines.

Output: one JSON line per document, ``Verdict.as_json(id)``, in input order; with ``explain=True``
(``aidwatch classify --explain``) a short text for a person instead: the decision, what was found, and
every event-level test with what it saw.

Errors: a line that is not a JSON object, or has neither ``title`` nor ``text``, is reported on stderr
as ``line N: <reason>`` and skipped; the run goes on and exits 1 at the end. Exit 0 when every line was
classified, 2 when the input cannot be read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO

from alerts.classify import get_classifier
from alerts.classify.classifier import DEFAULT_THRESHOLD
from alerts.models import Verdict


def _published(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


def _open(infile: str | Path | IO[str]) -> tuple[Iterable[str], str]:
    if not isinstance(infile, str | Path):
        return infile, getattr(infile, "name", "-")
    if str(infile) == "-":
        return sys.stdin, "-"
    path = Path(infile)
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True), path.name


def run_classify(
    infile: str | Path | IO[str],
    outfile: IO[str] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    errfile: IO[str] | None = None,
    explain: bool = False,
) -> int:
    """Classify every document of ``infile`` and write one JSON line each to ``outfile``; return the exit code."""
    out = outfile if outfile is not None else sys.stdout
    err = errfile if errfile is not None else sys.stderr
    try:
        lines, name = _open(infile)
        it = iter(lines)
        head: list[str] = []
        for line in it:
            head.append(line)
            if line.strip():
                break
    except OSError as exc:
        print(f"cannot read {infile}: {exc}", file=err)
        return 2
    clf = get_classifier(threshold)
    first = head[-1].strip() if head else ""
    if not first.startswith("{"):
        text = "".join(head) + "".join(it)
        if not text.strip():
            print("no input", file=err)
            return 1
        verdict = clf.classify("", text)
        out.write(explanation(verdict, name) if explain else _json_line(verdict, name))
        return 0
    failed = 0
    lineno = len(head) - 1
    for line in [head[-1], *it]:
        lineno += 1
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {lineno}: invalid JSON: {exc.msg}", file=err)
            failed += 1
            continue
        if not isinstance(doc, dict) or not (isinstance(doc.get("title"), str) or isinstance(doc.get("text"), str)):
            print(f"line {lineno}: expected an object with a string 'title' or 'text'", file=err)
            failed += 1
            continue
        lang = doc.get("lang") if isinstance(doc.get("lang"), str) else None
        verdict = clf.classify(
            str(doc.get("title") or ""),
            str(doc.get("text") or ""),
            lang=lang,
            published=_published(doc.get("published")),
        )
        doc_id = doc.get("id", lineno)
        out.write(explanation(verdict, doc_id) if explain else _json_line(verdict, doc_id))
        out.flush()
    return 1 if failed else 0


def _json_line(verdict: Verdict, doc_id: object) -> str:
    return json.dumps(verdict.as_json(doc_id), ensure_ascii=False) + "\n"


def explanation(verdict: Verdict, doc_id: object) -> str:
    """A verdict for a person: the decision and its reason, the coded fields, the tests, the evidence."""
    decision = "ATTACK" if verdict.is_attack else f"not an attack ({verdict.reason})"
    lines = [f"{doc_id}: {decision}, score {verdict.score:.2f}, language {verdict.lang or '?'}"]
    if verdict.is_attack:
        found = [
            ("categories", ", ".join(verdict.categories)),
            ("event types", ", ".join(verdict.event_types)),
            ("country", verdict.country),
            ("place", verdict.location),
            ("date", verdict.occurred_on.isoformat() if verdict.occurred_on else None),
            ("killed", verdict.killed),
            ("injured", verdict.injured),
            ("kidnapped", verdict.kidnapped),
            ("perpetrator", verdict.perpetrator),
            ("organisations", ", ".join(verdict.organizations)),
        ]
        lines += [f"  {name}: {value}" for name, value in found if value not in (None, "")]
    lines.append("  tests:")
    lines += [f"    [{'pass' if ok else 'FAIL'}] {name}: {detail}" for name, ok, detail in verdict.checks]
    if verdict.evidence:
        lines.append("  evidence:" if verdict.is_attack else "  sentences judged:")
        lines += [f"    - {text}" for text in verdict.evidence]
    return "\n".join(lines) + "\n\n"


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m alerts.classify.cli [FILE|-]``."""
    args = sys.argv[1:] if argv is None else argv
    return run_classify(args[0] if args else "-", sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
