"""Groups of victims joined by "and" to one casualty word are added up (victim_groups.py).

Every text here was written for these tests. Each row: language, sentence, whether it is the headline,
expected (killed, injured, kidnapped).
"""

from __future__ import annotations

import pytest

from tests.classify.figures import Figures, figures_of

ROWS = [
    # Coordinated groups bound to one casualty word are added up; a singular noun after an article or a
    # possessive is one victim; a group that is another verb's object, or of unknown size, is not added.
    pytest.param(
        "en",
        "Four medics and three drivers were shot dead at the field office.",
        False,
        (7, None, None),
        id="en-two-groups-add-up",
    ),
    pytest.param(
        "en",
        "Gunmen shot dead two nurses and their driver outside the town.",
        False,
        (3, None, None),
        id="en-and-their-driver",
    ),
    pytest.param(
        "en",
        "Gunmen ambushed and killed four female vaccinators and a male supervisor.",
        False,
        (5, None, None),
        id="en-and-a-supervisor",
    ),
    pytest.param(
        "en",
        "A paramedic and two police officers died in the attack.",
        False,
        (3, None, None),
        id="en-a-paramedic-and-two-officers",
    ),
    pytest.param(
        "en", "Three nurses, two doctors and a driver were killed.", False, (6, None, None), id="en-a-list-adds-up"
    ),
    pytest.param(
        "en",
        "Gunmen shot dead an ambulance driver and a nurse on Tuesday.",
        False,
        (2, None, None),
        id="en-an-ambulance-driver-is-a-person",
    ),
    pytest.param(
        "en",
        "Gunmen killed two guards and three nurses were wounded.",
        False,
        (2, 3, None),
        id="en-an-object-is-not-added",
    ),
    pytest.param(
        "en",
        "The strike killed two aid workers and dozens of civilians.",
        False,
        (None, None, None),
        id="en-dozens-in-a-group-leaves-no-total",
    ),
    pytest.param(
        "en", "Nine staff were killed and dozens more injured.", False, (9, None, None), id="en-nine-and-dozens"
    ),
    pytest.param(
        "en",
        "Sixteen killed, among them two babies, at the maternity ward.",
        False,
        (16, None, None),
        id="en-a-subgroup-is-not-the-toll",
    ),
    pytest.param("en", "Nurse and two guards killed in Kabul", True, (3, None, None), id="en-headline-bare-noun"),
    pytest.param("en", "Nurse and two guards were killed.", False, (2, None, None), id="en-bare-noun-only-in-headline"),
]


@pytest.mark.parametrize(("lang", "sentence", "is_headline", "expected"), ROWS)
def test_coordinated_groups_added_up(lang: str, sentence: str, is_headline: bool, expected: Figures) -> None:
    assert figures_of(lang, sentence, is_headline) == expected
