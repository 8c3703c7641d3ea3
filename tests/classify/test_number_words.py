"""Number words read as head counts (number_words.py): compound words, and numbers that count no one.

Every text here was written for these tests. Each row: language, sentence, whether it is the headline,
expected (killed, injured, kidnapped).
"""

from __future__ import annotations

import pytest

from alerts.classify.number_words import to_digits
from tests.classify.figures import Figures, figures_of

ROWS = [
    # Compound number words, read by text2num.
    pytest.param(
        "en", "Twenty three aid workers were killed in the attack.", False, (23, None, None), id="en-twenty-three"
    ),
    pytest.param(
        "en", "One hundred and twelve people were wounded.", False, (None, 112, None), id="en-one-hundred-twelve"
    ),
    pytest.param(
        "fr", "Vingt-trois humanitaires ont été tués dans l'attaque.", False, (23, None, None), id="fr-vingt-trois"
    ),
    pytest.param("fr", "Vingt et un civils ont été blessés.", False, (None, 21, None), id="fr-vingt-et-un"),
    pytest.param("es", "Veintitrés cooperantes murieron en el ataque.", False, (23, None, None), id="es-veintitres"),
    pytest.param("es", "Veintiún muertos en el ataque contra el convoy.", False, (21, None, None), id="es-veintiun"),
    pytest.param(
        "ar", "قتل ثلاثة وعشرون عاملا في المجال الإنساني في الهجوم.", False, (23, None, None), id="ar-23-in-words"
    ),
    pytest.param("ar", "ما أسفر عن مقتل 3 حراس وإصابة 5 آخرين.", False, (3, 5, None), id="ar-killing-3-wounding-5"),
    # Measures, years and ordinals are not head counts.
    pytest.param(
        "en", "Two days later, gunmen killed 4 guards in 2023.", False, (4, None, None), id="en-days-and-year-skipped"
    ),
    pytest.param(
        "en", "The second attack killed 35-year-old nurse Jane Doe.", False, (None, None, None), id="en-ordinal-and-age"
    ),
]


@pytest.mark.parametrize(("lang", "sentence", "is_headline", "expected"), ROWS)
def test_number_words_as_figures(lang: str, sentence: str, is_headline: bool, expected: Figures) -> None:
    assert figures_of(lang, sentence, is_headline) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("vinte e três trabalhadores", "23 trabalhadores", id="pt-vinte-e-tres"),
        pytest.param("há dois dias", "há 2 dias", id="pt-ha-dois-dias"),
        pytest.param("uma enfermeira", "uma enfermeira", id="pt-article-stays-a-word"),
    ],
)
def test_portuguese_number_words(text: str, expected: str) -> None:
    assert to_digits(text, "pt") == expected
