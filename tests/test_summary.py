"""Incident summaries say what the title does not: they never open by repeating it."""

from __future__ import annotations

import pytest

from alerts.ingest import incident_summary

TITLE = "Gunmen attack MSF hospital in Kunduz, killing three aid workers"
LEAD = "The organisation said the attack happened on Tuesday night."


@pytest.mark.parametrize(
    ("evidence", "fallback", "expected"),
    [
        pytest.param([TITLE], f"{TITLE}. {LEAD}", LEAD, id="evidence-is-the-title"),
        pytest.param([TITLE, TITLE + "."], f"{TITLE}. {LEAD}", LEAD, id="title-and-its-copy-in-the-body"),
        pytest.param([TITLE.upper() + "!"], f"{TITLE} – {LEAD}", LEAD, id="other-case-and-dash"),
        pytest.param([f"{TITLE}. {LEAD}"], "", LEAD, id="evidence-opens-with-the-title"),
        pytest.param([TITLE, LEAD], "ignored", LEAD, id="title-dropped-from-evidence"),
        pytest.param([], f"{TITLE} {LEAD}", LEAD, id="feed-summary-is-title-then-lead"),
        pytest.param([TITLE], TITLE, "", id="nothing-beyond-the-headline"),
        pytest.param([LEAD], TITLE, LEAD, id="evidence-without-the-title"),
        pytest.param(
            [f"{TITLE} on Tuesday, the group said."],
            "",
            f"{TITLE} on Tuesday, the group said.",
            id="a-longer-sentence-is-kept-whole",
        ),
    ],
)
def test_summary_never_opens_with_the_title(evidence: list[str], fallback: str, expected: str) -> None:
    summary = incident_summary(TITLE, evidence, fallback)
    assert summary == expected


def test_long_summaries_are_cut_at_a_word() -> None:
    summary = incident_summary(TITLE, [LEAD * 20], "", limit=100)
    assert len(summary) <= 100 and summary.endswith("…") and not summary.startswith(TITLE)
