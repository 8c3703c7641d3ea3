"""Casualty figures of the attack itself (casualty_figures.py) on single sentences, with the shipped lexicons.

Every text here was written for these tests. Each row: language, sentence, whether it is the headline,
expected (killed, injured, kidnapped).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.classify.casualty_figures import casualties, toll_sentences
from alerts.classify.lexicon import _compile_groups, load_lexicon
from alerts.classify.number_words import word_value
from tests.classify.figures import Figures, figures_of

ROWS = [
    # Participles and active verbs.
    pytest.param(
        "en",
        "Gunmen attacked the convoy, killing two and wounding five.",
        False,
        (2, 5, None),
        id="en-killing-two-wounding-five",
    ),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué le convoi, tuant deux chauffeurs et blessant cinq personnes.",
        False,
        (2, 5, None),
        id="fr-tuant-deux-blessant-cinq",
    ),
    pytest.param(
        "es",
        "Hombres armados atacaron el convoy, matando a dos conductores e hiriendo a cinco.",
        False,
        (2, 5, None),
        id="es-matando-a-dos-hiriendo-a-cinco",
    ),
    pytest.param(
        "en", "Two gunmen killed a nurse at the clinic.", False, (1, None, None), id="en-active-object-not-the-gunmen"
    ),
    pytest.param("en", "A bomb killed the doctor.", False, (None, None, None), id="en-a-bomb-is-not-a-victim"),
    pytest.param(
        "en", "Gunmen kidnapped a doctor near the hospital.", False, (None, None, 1), id="en-kidnapped-a-doctor"
    ),
    # "including" asides: the total, not the part.
    pytest.param(
        "en",
        "At least 12 people, including three nurses, were killed.",
        False,
        (12, None, None),
        id="en-including-three-nurses",
    ),
    pytest.param(
        "fr",
        "Au moins douze personnes, dont trois infirmières, ont été tuées.",
        False,
        (12, None, None),
        id="fr-dont-trois-infirmieres",
    ),
    pytest.param(
        "es",
        "Al menos doce personas, entre ellas tres enfermeras, fueron asesinadas.",
        False,
        (12, None, None),
        id="es-entre-ellas-tres",
    ),
    pytest.param("en", "Two killed, one of them a doctor.", False, (2, None, None), id="en-two-killed-one-of-them"),
    # Nouns of the toll.
    pytest.param("en", "The attack left five dead and twelve wounded.", False, (5, 12, None), id="en-left-five-dead"),
    pytest.param(
        "fr", "L'attaque a fait cinq morts et douze blessés.", False, (5, 12, None), id="fr-cinq-morts-douze-blesses"
    ),
    pytest.param("es", "El ataque dejó cinco muertos.", False, (5, None, None), id="es-dejo-cinco-muertos"),
    # Wounded never counted as killed.
    pytest.param("en", "12 wounded in attack that killed a nurse.", False, (1, 12, None), id="en-wounded-not-killed"),
    pytest.param(
        "en", "Five people were wounded and a nurse killed.", False, (1, 5, None), id="en-wounded-and-a-nurse-killed"
    ),
    pytest.param("en", "Five people were wounded in the attack.", False, (None, 5, None), id="en-only-wounded"),
    # Singular nouns with an article.
    pytest.param("en", "A nurse was killed in an ambush.", False, (1, None, None), id="en-a-nurse-was-killed"),
    pytest.param("en", "An aid worker was shot dead.", False, (1, None, None), id="en-an-aid-worker"),
    pytest.param("fr", "Une infirmière a été tuée.", False, (1, None, None), id="fr-une-infirmiere"),
    pytest.param("es", "Una enfermera fue asesinada.", False, (1, None, None), id="es-una-enfermera"),
    pytest.param("en", "Two guards and a nurse were killed.", False, (3, None, None), id="en-and-a-nurse-adds-one"),
    pytest.param(
        "en",
        "Three aid workers were killed a day after the talks.",
        False,
        (3, None, None),
        id="en-a-day-is-not-a-count",
    ),
    # "no one was hurt".
    pytest.param("en", "No one was hurt.", False, (0, 0, None), id="en-no-one-hurt"),
    pytest.param(
        "en", "Two guards were killed; no one else was hurt.", False, (2, 0, None), id="en-count-wins-over-no-one"
    ),
    pytest.param("fr", "Personne n'a été blessé.", False, (0, 0, None), id="fr-personne-blesse"),
    pytest.param("es", "No hubo heridos.", False, (0, 0, None), id="es-no-hubo-heridos"),
    pytest.param("ar", "لم يسفر الهجوم عن وقوع إصابات.", False, (0, 0, None), id="ar-no-injuries"),
    # Cumulative tolls excluded.
    pytest.param(
        "en",
        "Gunmen killed two nurses on Monday, bringing to 300 the number of aid workers killed since October.",
        False,
        (2, None, None),
        id="en-bringing-to-300-excluded",
    ),
    pytest.param(
        "en", "300 aid workers have been killed since October.", False, (None, None, None), id="en-since-october-only"
    ),
    pytest.param(
        "en",
        "The attack killed a driver, bringing the total killed this year to 300.",
        True,
        (1, None, None),
        id="en-total-this-year-in-headline",
    ),
    pytest.param(
        "fr",
        "Deux gardes ont été tués, portant à 300 le nombre d'humanitaires tués depuis octobre.",
        False,
        (2, None, None),
        id="fr-portant-a-300",
    ),
    pytest.param(
        "es",
        "Dos guardias murieron, elevando a 300 la cifra de cooperantes asesinados desde octubre.",
        False,
        (2, None, None),
        id="es-elevando-a-300",
    ),
    pytest.param(
        "ar",
        "قتل 3 من موظفي الإغاثة ليرتفع عدد القتلى منذ بداية الحرب إلى 300.",
        False,
        (3, None, None),
        id="ar-li-yartafi-300",
    ),
    # Day's total across several attacks vs this attack.
    pytest.param(
        "en",
        "Israeli strikes killed 45 people across Gaza on Tuesday, including three aid workers.",
        False,
        (3, None, None),
        id="en-across-gaza-takes-the-part",
    ),
    pytest.param(
        "en",
        "Strikes killed 45 people in separate attacks on Tuesday.",
        False,
        (None, None, None),
        id="en-separate-attacks-no-part",
    ),
    pytest.param(
        "fr",
        "Les frappes ont tué 45 personnes à travers Gaza mardi, dont quatre soignants.",
        False,
        (4, None, None),
        id="fr-a-travers-gaza-dont-quatre",
    ),
    # Death tolls.
    pytest.param(
        "en", "Death toll in MSF hospital strike rises to 9", True, (9, None, None), id="en-headline-toll-rises"
    ),
    pytest.param(
        "en", "Gaza death toll rises to 30,000", True, (None, None, None), id="en-headline-war-toll-not-the-attack"
    ),
    pytest.param(
        "en",
        "The death toll from the airstrike on the hospital rose to nine.",
        False,
        (9, None, None),
        id="en-toll-names-the-attack",
    ),
    pytest.param(
        "en", "The death toll in Gaza rose to 45.", False, (None, None, None), id="en-war-toll-not-the-attack"
    ),
    pytest.param(
        "fr",
        "Le bilan de l'attaque contre l'hôpital s'est alourdi à neuf morts.",
        False,
        (9, None, None),
        id="fr-bilan-alourdi",
    ),
    pytest.param(
        "ar", "ارتفعت حصيلة القتلى في الهجوم على المستشفى إلى 9.", False, (9, None, None), id="ar-toll-rose-to-9"
    ),
    # Phrasings of the toll.
    pytest.param(
        "en",
        "The shelling claimed the lives of at least two staff members.",
        False,
        (2, None, None),
        id="en-claimed-the-lives-of",
    ),
    pytest.param("en", "Strike on clinic kills two nurses", True, (2, None, None), id="en-kills"),
    pytest.param("en", "An airstrike which kills two nurses.", False, (2, None, None), id="en-which-kills"),
    pytest.param("en", "The blast left four people dead.", False, (4, None, None), id="en-left-four-people-dead"),
    pytest.param("en", "Five volunteers lost their lives.", False, (5, None, None), id="en-lost-their-lives"),
    pytest.param(
        "en", "The bodies of eleven rescuers were recovered.", False, (11, None, None), id="en-bodies-of-eleven"
    ),
    pytest.param("en", "Two aid workers gunned down in the capital", True, (2, None, None), id="en-gunned-down"),
    pytest.param(
        "en",
        "Gunmen stopped one of the ambulances and killed at least two patients.",
        False,
        (2, None, None),
        id="en-killed-at-least-two",
    ),
    pytest.param(
        "en",
        "Three staff members of the International Committee of the Red Cross were killed.",
        False,
        (3, None, None),
        id="en-a-name-is-short",
    ),
    pytest.param(
        "fr", "Quatre infirmiers et deux chauffeurs ont été tués.", False, (6, None, None), id="fr-groups-add-up"
    ),
    pytest.param(
        "fr",
        "Des hommes armés ont tué deux humanitaires et leur chauffeur.",
        False,
        (3, None, None),
        id="fr-et-leur-chauffeur",
    ),
    pytest.param(
        "fr", "L'explosion a causé la mort de sept employés.", False, (7, None, None), id="fr-cause-la-mort-de"
    ),
    pytest.param(
        "fr", "Cinq bénévoles du Croissant-Rouge ont été tués.", False, (5, None, None), id="fr-du-is-a-preposition"
    ),
    pytest.param(
        "es",
        "Hombres armados mataron a dos cooperantes y a su conductor.",
        False,
        (3, None, None),
        id="es-y-a-su-conductor",
    ),
    pytest.param(
        "es",
        "Un paramédico y tres policías murieron en el ataque.",
        False,
        (4, None, None),
        id="es-un-paramedico-y-tres",
    ),
    pytest.param("es", "Enfermero y 3 policías mueren en ataque", True, (4, None, None), id="es-headline-bare-noun"),
    pytest.param(
        "es",
        "La organización confirmó la muerte de los dos socorristas.",
        False,
        (2, None, None),
        id="es-la-muerte-de-los-dos",
    ),
    pytest.param("es", "Ambos enfermeros murieron.", False, (2, None, None), id="es-ambos"),
    pytest.param(
        "es",
        "Murieron dos personas y otras cinco resultaron heridas.",
        False,
        (2, 5, None),
        id="es-subject-after-the-verb",
    ),
    pytest.param(
        "pt",
        "No ataque morreram duas pessoas e oito ficaram feridas.",
        False,
        (2, 8, None),
        id="pt-subject-after-the-verb",
    ),
    pytest.param("pt", "Homens armados mataram a tiros um enfermeiro.", False, (1, None, None), id="pt-a-tiros"),
    pytest.param(
        "pt",
        "Os agressores terão executado pelo menos dois doentes.",
        False,
        (2, None, None),
        id="pt-pelo-menos-dois",
    ),
    pytest.param("pt", "Dezenas de pessoas morreram.", False, (None, None, None), id="pt-dezenas-is-not-a-figure"),
    pytest.param(
        "pt",
        "Três vacinadoras contra a poliomielite foram mortas.",
        False,
        (3, None, None),
        id="pt-contra-is-a-preposition",
    ),
    pytest.param("ar", "أدى القصف إلى مقتل شخصين.", False, (2, None, None), id="ar-dual-two-people"),
    pytest.param("ar", "مقتل موظف في منظمة إغاثة.", False, (1, None, None), id="ar-singular-noun-is-one"),
    pytest.param("ar", "قتل صحفيان وشرطي وأصيب سبعة آخرون.", False, (3, 7, None), id="ar-dual-and-one-add-up"),
    pytest.param("ar", "قتيلان وجرحى في قصف على مستشفى.", False, (2, None, None), id="ar-two-dead-word"),
    pytest.param("ar", "قتل ما لا يقل عن 40 شخصا في الهجوم.", False, (40, None, None), id="ar-at-least-40"),
    pytest.param("ar", "عشرة مدنيين قتلوا وأصيب 30 آخرون.", False, (10, 30, None), id="ar-ten-killed-30-hurt"),
    pytest.param("ar", "أسفر القصف عن مقتل اثنين وعشرات الجرحى.", False, (2, None, None), id="ar-dozens-hurt-not-read"),
    pytest.param("ar", "مسلحون يقتلون اثنين من موظفي الإغاثة", True, (2, None, None), id="ar-yaqtulun"),
]


@pytest.mark.parametrize(("lang", "sentence", "is_headline", "expected"), ROWS)
def test_casualty_figures(lang: str, sentence: str, is_headline: bool, expected: Figures) -> None:
    assert figures_of(lang, sentence, is_headline) == expected


def test_updated_toll_in_the_headline_wins_over_the_first_count() -> None:
    lex = load_lexicon("en")
    head = "Death toll in MSF hospital strike rises to 9"
    got = casualties(["An airstrike hit the MSF hospital on Monday, killing five people.", head], lex, headline=head)
    assert got["killed"] == 9


def test_first_sentence_wins_for_each_kind() -> None:
    lex = load_lexicon("en")
    got = casualties(["Two nurses were killed.", "Seven people were killed in Kabul on the same day."], lex)
    assert got["killed"] == 2


def test_portuguese_works_from_a_lexicon_alone() -> None:
    """casualty_figures.py is driven by the lexicon's language code: a Portuguese lexicon gives Portuguese figures."""
    pt = replace(
        load_lexicon("en"),
        lang="pt",
        casualties=_compile_groups({"killed": ["mort(?:o|os|a|as)"], "injured": ["ferid(?:o|os|a|as)"]}, "pt"),
        numbers={},
        determiners=frozenset({"o", "a", "os", "as", "um", "uma"}),
        passive_aux=frozenset({"foi", "foram"}),
        conjunctions=frozenset({"e", "ou"}),
    )
    assert word_value("uma", "pt") == 1
    got = casualties(["Vinte e três trabalhadores humanitários foram mortos e dois feridos."], pt)
    assert (got["killed"], got["injured"]) == (23, 2)
    assert casualties(["Uma enfermeira foi morta."], pt)["killed"] == 1


def test_a_lexicon_without_the_new_keys_still_reads_plain_figures() -> None:
    bare = replace(
        load_lexicon("en"),
        no_casualties=None,
        cumulative=None,
        aggregate=None,
        toll_updates=None,
        including=None,
        determiners=frozenset(),
        negations=frozenset(),
        passive_aux=frozenset(),
    )
    got = casualties(["Gunmen attacked the convoy, killing two and wounding five."], bare)
    assert (got["killed"], got["injured"]) == (2, 5)


def test_the_sentence_after_the_attack_gives_its_toll() -> None:
    """The sentence right after an evidence sentence is read for the toll unless it dates itself elsewhere."""
    lex = load_lexicon("en")
    norms = [
        "Gunmen stormed a maternity clinic in the capital on Tuesday.",
        "At least 14 people were killed, officials said.",
        "Gunmen stormed a health post in the north.",
        "Last month gunmen killed nine vaccinators in the region.",
    ]
    assert toll_sentences(norms, [0], lex) == [norms[1]]
    assert toll_sentences(norms, [2], lex) == []
    got = casualties([norms[0], *toll_sentences(norms, [0], lex)], lex)
    assert got["killed"] == 14
