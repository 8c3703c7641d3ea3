"""Load the hand-written per-language lexicons (config/lexicons/*.yaml) into compiled regular expressions.

Loading happens once per process (``load_lexicon`` is cached); matching is plain ``re``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from config import LEXICON_DIR

# Languages read with a full lexicon (targets, violence, every neutral role, cues, casualties, dates).
FULL_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "pt")
# Best-effort languages: a small lexicon (targets, violence, the neutral roles that matter most) read with
# the language-independent model. Sections such a file omits are empty, never borrowed from English.
PARTIAL_LANGUAGES: tuple[str, ...] = ("tl", "sw", "ha", "so", "ps", "fa", "ru", "uk", "tr", "id")
# Every language with a lexicon file; any other language is read with the English lexicon.
LANGUAGES: tuple[str, ...] = FULL_LANGUAGES + PARTIAL_LANGUAGES

# A pattern written only in capitals, digits and dots is an acronym: "UN" must not match the French "un"
# (nor "ООН" the Russian "оон").
_ACRONYM = re.compile(r"^[A-Z0-9.\\?А-ЯЁІЇЄҐÇĞİÖŞÜ-]+s?\??$")
# A caption ends with the picture's date: "... in Herat on October 23, 2010." / "(file, 2019)".
_YEAR_AT_END = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)[^\w]{0,4}$")
_AR_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")
_AR_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# Arabic attaches conjunctions, prepositions and the article to the word: allow them instead of \b.
_AR_CLITICS = r"(?:[وف]?[بلك]?(?:ال)?|[وف]?لل)"
_AR_PREFIX = r"(?<![\u0621-\u064a])" + _AR_CLITICS


def support_level(lang: str | None) -> str:
    """How well a language is read: "full", "partial" (best-effort lexicon) or "none" (English lexicon)."""
    if lang in FULL_LANGUAGES:
        return "full"
    return "partial" if lang in PARTIAL_LANGUAGES else "none"


def normalize_arabic(text: str) -> str:
    """Remove diacritics/tatweel and fold letter variants so lexicon and text spell words alike."""
    return _AR_DIACRITICS.sub("", text).translate(_AR_MAP)


_PERSIAN_SCRIPT = frozenset({"fa", "ps"})
# Persian and Pashto keyboards and sites mix Arabic and Persian code points for the same letter.
_FA_MAP = str.maketrans({"ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ك": "ک", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا"})


def normalize_persian(text: str) -> str:
    """Persian/Pashto fold: diacritics off, Arabic yeh/kaf → Persian, alef variants → ا."""
    return _AR_DIACRITICS.sub("", text).translate(_FA_MAP)


def normalize(text: str, lang: str) -> str:
    """The text as a lexicon of ``lang`` matches it (Arabic-script folds; other scripts unchanged)."""
    if lang == "ar":
        return normalize_arabic(text)
    return normalize_persian(text) if lang in _PERSIAN_SCRIPT else text


# In a lexicon with ``stems: true`` (inflected languages: ru, uk, tr, id, sw, so, ha) every term is a
# stem: it starts at a word boundary and may run on with word characters ("больниц" → "больницу",
# "hastane" → "hastaneye"), or with a Turkish apostrophe suffix ("UNICEF'in").
# A stem runs on with suffixes; Persian and Pashto attach plural and other suffixes after a zero-width
# non-joiner ("بیمارستان‌های"), Turkish after an apostrophe ("UNICEF'in").
_STEM_TAIL = r"\w*(?:['’\u200c]\w+)*"
_ACRONYM_TAIL = r"(?:['’]\w+)?"


def _inline(patterns: list[str], lang: str, stems: bool = False) -> str:
    """A sub-pattern (no boundaries at the edges) for {HEALTH}-style expansion inside neutral patterns."""
    parts = []
    for raw in patterns:
        pat = str(raw)
        if lang == "ar":
            # The article is part of the optional clitic prefix, so a leading ال would block "للقطاع".
            pat = re.sub("^ال(?=[\u0621-\u064a])", "", normalize_arabic(pat))
        elif lang in _PERSIAN_SCRIPT:
            pat = normalize_persian(pat)
        if lang != "ar" and _ACRONYM.match(pat):
            # An acronym takes only an apostrophe suffix ("UNICEF'in"): "ONU" must not match "ONUN".
            parts.append(f"(?-i:{pat})" + (_ACRONYM_TAIL if stems else ""))
        else:
            parts.append(f"(?:{pat})" + (_STEM_TAIL if stems else ""))
    return "(?:" + "|".join(parts) + ")"


def _compile_groups(
    sections: dict[str, list[str]], lang: str, expand: dict[str, str] | None = None, stems: bool = False
) -> re.Pattern[str] | None:
    """One regex for a whole lexicon section: each entry a named group, found with ``m.lastgroup``.

    Scanning a sentence once per section instead of once per entry is what makes the classifier fast
    enough (the word-boundary check runs once per position, not once per pattern).
    """
    groups = []
    for name, pats in sections.items():
        inner = _inline([_expand(p, expand) for p in pats or []], lang, stems) if pats else None
        if inner:
            groups.append(f"(?P<{name}>{inner})")
    if not groups:
        return None
    body = "|".join(groups)
    if lang == "ar":
        return re.compile(f"{_AR_PREFIX}(?:{body})", re.IGNORECASE)
    return re.compile(rf"(?<![\w-])(?:{body})(?!\w)", re.IGNORECASE)


def _expand(pat: str, expand: dict[str, str] | None) -> str:
    pat = str(pat)
    for key, value in (expand or {}).items():
        pat = pat.replace("{" + key + "}", value)
    return pat


@dataclass(slots=True)
class Organization:
    """A named humanitarian organisation and the category it implies."""

    name: str
    category: str


@dataclass(slots=True)
class Lexicon:
    """Compiled lexicon of one language; each section is one regex whose group names are the entries."""

    lang: str
    version: int
    targets: re.Pattern[str] | None
    violence: re.Pattern[str] | None
    casualties: re.Pattern[str] | None
    neutral: re.Pattern[str] | None
    cues: re.Pattern[str] | None
    perpetrators: re.Pattern[str] | None
    organizations: re.Pattern[str] | None
    org_info: dict[str, Organization]
    numbers: dict[str, int]
    weekdays: dict[str, int]
    months: dict[str, int]
    relative_days: dict[str, int]
    function_words: frozenset[str]
    stopwords: frozenset[str]
    not_places: frozenset[str]
    neutral_led: re.Pattern[str] | None = None
    attack_refs: re.Pattern[str] | None = None
    caption_verbs: re.Pattern[str] | None = None
    caption_credits: re.Pattern[str] | None = None
    # Event-level cues (alerts/classify/event.py): read on the headline and evidence only, never by the model.
    event: re.Pattern[str] | None = None
    event_ambiguous: re.Pattern[str] | None = None
    event_built: re.Pattern[str] | None = None
    # Casualty and date keys (number_words.py, casualty_figures.py, dates.py); all optional, so a lexicon
    # without them still loads.
    no_casualties: re.Pattern[str] | None = None
    cumulative: re.Pattern[str] | None = None
    aggregate: re.Pattern[str] | None = None
    toll_updates: re.Pattern[str] | None = None
    including: re.Pattern[str] | None = None
    determiners: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    passive_aux: frozenset[str] = frozenset()
    prepositions: frozenset[str] = frozenset()
    conjunctions: frozenset[str] = frozenset()
    clause_openers: frozenset[str] = frozenset()
    intransitive: re.Pattern[str] | None = None
    things: frozenset[str] = frozenset()
    number_units: frozenset[str] = frozenset()
    time_units: dict[str, int] = field(default_factory=dict)
    ago: re.Pattern[str] | None = None
    year_prefix: re.Pattern[str] | None = None
    relative_periods: dict[str, int] = field(default_factory=dict)
    date_order: str = "DMY"
    approximators: re.Pattern[str] | None = None  # "at least", "more than": skipped before a number
    possessives: frozenset[str] = frozenset()  # "their driver": one victim in a coordinated group
    plural_words: frozenset[str] = frozenset()  # plurals not ending in -s ("men", "people", "staff")
    singular_victims: frozenset[str] = frozenset()  # Arabic singular victim nouns: one victim
    vague: frozenset[str] = frozenset()  # "dozens", "several": a group of unknown size makes the sum unknown
    raw: dict[str, Any] = field(default_factory=dict)

    def normalize(self, text: str) -> str:
        """``text`` as this lexicon's patterns match it (Arabic/Persian letter folds; others unchanged)."""
        return normalize(text, self.lang)

    def is_caption(self, text: str) -> bool:
        """A photo caption or credit line: it describes a picture (often an old one), not the event.

        A credit ("Getty Images", "file photo") is enough; a descriptive verb ("stands", "poses", "is
        seen") counts only when the sentence ends with a year, the shape of "X stands in Y on October 23, 2010."
        """
        norm = self.normalize(text)
        if self.caption_credits is not None and self.caption_credits.search(norm):
            return True
        return bool(self.caption_verbs is not None and _YEAR_AT_END.search(norm) and self.caption_verbs.search(norm))


# libyaml's loader reads the lexicons 10-20x faster than the pure-Python one (same result).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LOADER)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at top level")
    return data


def _words(data: dict[str, Any], key: str) -> dict[str, int]:
    return {normalize_arabic(str(k)).lower(): int(v) for k, v in (data.get(key) or {}).items()}


def _word_set(data: dict[str, Any], key: str) -> frozenset[str]:
    return frozenset(normalize_arabic(str(w)).lower() for w in data.get(key) or [])


def _ago(data: dict[str, Any], lang: str) -> re.Pattern[str] | None:
    """The "{N} {UNIT} ago" / "il y a {N} {UNIT}" pattern: group 1 is the count token, group 2 the unit."""
    units = sorted(_words(data, "time_units"), key=len, reverse=True)
    pats = [normalize_arabic(str(p)) if lang == "ar" else str(p) for p in data.get("ago") or []]
    if not units or not pats:
        return None
    unit = "(" + "|".join(re.escape(u) for u in units) + ")"
    # Each pattern names the count before the unit, so the first matched group is the count.
    alts = "|".join("(?:" + p.replace("{N}", r"(\S+)").replace("{UNIT}", unit) + ")" for p in pats)
    if lang == "ar":
        return re.compile(_AR_PREFIX + f"(?:{alts})", re.IGNORECASE)
    return re.compile(rf"(?<![\w-])(?:{alts})(?!\w)", re.IGNORECASE)


def _year_prefix(data: dict[str, Any], lang: str) -> re.Pattern[str] | None:
    """The "in 2019" / "en 2019" / "عام 2019" pattern: group 1 is the year."""
    words = [normalize_arabic(str(w)) if lang == "ar" else str(w) for w in data.get("year_prefix") or []]
    if not words:
        return None
    lead = r"(?<![\u0621-\u064a])[وف]?" if lang == "ar" else r"(?<![\w-])"
    return re.compile(lead + "(?:" + "|".join(words) + r")\s+((?:19|20)\d\d)(?!\d)", re.IGNORECASE)


def load_lexicon(lang: str, lexicon_dir: str | None = None) -> Lexicon:
    """Load and compile ``<lang>.yaml`` plus the shared organisations file (cached per process).

    A language without a file gets the English lexicon (one shared copy, whatever the code). A
    best-effort file may hold only a few sections: the missing ones are empty, so an English word never
    matches inside Swahili text.
    """
    return _load_lexicon(lang if lang in LANGUAGES else "en", lexicon_dir)


@lru_cache(maxsize=32)
def _load_lexicon(lang: str, lexicon_dir: str | None) -> Lexicon:
    folder = Path(lexicon_dir) if lexicon_dir else LEXICON_DIR
    data = _read(folder / f"{lang}.yaml")
    stems = bool(data.get("stems"))
    targets_raw: dict[str, list[str]] = data.get("targets") or {}
    orgs_data = _read(folder / "organizations.yaml").get("organizations") or {}
    # Named organisations count as targets inside neutral spans too ("according to UNICEF").
    all_targets = [p for pats in targets_raw.values() for p in pats]
    all_targets += [str(p) for spec in orgs_data.values() for p in spec["patterns"]]
    # Inside neutral spans an Arabic target word still carries its clitics ("الاسعاف", "للمستشفى").
    # and a French one its elided article ("l'hôpital", "d'une ONG").
    pre = _AR_CLITICS if lang == "ar" else "(?:[ldLD]['’])?" if lang == "fr" else ""
    expand = {
        "ANY": pre + _inline(all_targets, lang, stems),
        "HEALTH": pre + _inline(targets_raw.get("health") or ["(?!)"], lang, stems),
        "CAMP": pre + _inline(targets_raw.get("camp") or ["(?!)"], lang, stems),
    }

    org_info: dict[str, Organization] = {}
    org_sections: dict[str, list[str]] = {}
    for i, (name, spec) in enumerate(orgs_data.items()):
        org_info[f"o{i}"] = Organization(str(name), str(spec["category"]))
        org_sections[f"o{i}"] = [str(p) for p in spec["patterns"]]
    perps = {f"p{i}": [str(p)] for i, p in enumerate(data.get("perpetrators") or [])}
    # Neutral patterns that begin with a target ("{HEALTH} ... on strike") are tried only where a target
    # starts (features.py), not at every character: a leading alternation of every target word is the
    # costliest thing a scan can do.
    led: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for name, pats in (data.get("neutral") or {}).items():
        for pat in pats or []:
            (led if str(pat).startswith("{") else rest).setdefault(name, []).append(str(pat))
    event_raw: dict[str, list[str]] = data.get("event") or {}
    event_cues = {k: v for k, v in event_raw.items() if k not in ("ambiguous_violence", "built")}
    return Lexicon(
        lang=lang,
        version=int(data.get("version", 0)),
        targets=_compile_groups(targets_raw, lang, stems=stems),
        violence=_compile_groups(data.get("violence") or {}, lang, stems=stems),
        casualties=_compile_groups(data.get("casualties") or {}, lang, stems=stems),
        neutral=_compile_groups(rest, lang, expand, stems),
        neutral_led=_compile_groups(led, lang, expand, stems),
        cues=_compile_groups(data.get("cues") or {}, lang, stems=stems),
        perpetrators=_compile_groups(perps, lang, stems=stems),
        organizations=_compile_groups(org_sections, lang, stems=stems),
        org_info=org_info,
        numbers=_words(data, "numbers"),
        weekdays=_words(data, "weekdays"),
        months=_words(data, "months"),
        relative_days=_words(data, "relative_days"),
        function_words=frozenset(normalize_arabic(str(w)) for w in data.get("function_words") or []),
        stopwords=frozenset(normalize_arabic(str(w)).lower() for w in data.get("stopwords") or []),
        not_places=frozenset(str(w) for w in data.get("not_places") or []),
        attack_refs=_compile_groups({"ref": data.get("attack_refs") or []}, lang, stems=stems),
        caption_verbs=_compile_groups({"caption": data.get("caption_verbs") or []}, lang),
        caption_credits=_compile_groups({"credit": data.get("caption_credits") or []}, lang),
        event=_compile_groups(event_cues, lang, stems=stems),
        event_ambiguous=_compile_groups({"ambiguous": event_raw.get("ambiguous_violence") or []}, lang, stems=stems),
        event_built=_compile_groups({"built": event_raw.get("built") or []}, lang),
        no_casualties=_compile_groups(data.get("no_casualties") or {}, lang),
        cumulative=_compile_groups({"cumulative": data.get("cumulative") or []}, lang),
        aggregate=_compile_groups({"aggregate": data.get("aggregate") or []}, lang),
        toll_updates=_compile_groups({"toll": data.get("toll_updates") or []}, lang),
        including=_compile_groups({"including": data.get("including") or []}, lang),
        determiners=_word_set(data, "determiners"),
        negations=_word_set(data, "negations"),
        passive_aux=_word_set(data, "passive_aux"),
        prepositions=_word_set(data, "prepositions"),
        conjunctions=_word_set(data, "conjunctions"),
        clause_openers=_word_set(data, "clause_openers"),
        things=_word_set(data, "things"),
        intransitive=_compile_groups({"intransitive": data.get("intransitive") or []}, lang),
        number_units=_word_set(data, "number_units") | frozenset(_words(data, "time_units")),
        time_units=_words(data, "time_units"),
        ago=_ago(data, lang),
        year_prefix=_year_prefix(data, lang),
        relative_periods=_words(data, "relative_periods"),
        date_order=str(data.get("date_order") or "DMY").upper(),
        approximators=_compile_groups({"approx": data.get("approximators") or []}, lang),
        possessives=_word_set(data, "possessives"),
        plural_words=_word_set(data, "plural_words"),
        singular_victims=_word_set(data, "singular_victims"),
        vague=_word_set(data, "vague"),
        raw=data,
    )


@lru_cache(maxsize=64)
def function_words(lang: str, lexicon_dir: str | None = None) -> frozenset[str]:
    """The ``function_words`` of ``<lang>.yaml`` for language detection.

    A full lexicon is compiled by every Classifier anyway; a best-effort one is only read (not compiled)
    here, so detecting languages does not compile lexicons a deployment may never use.
    """
    if lang in FULL_LANGUAGES:
        return frozenset(w.lower() for w in load_lexicon(lang, lexicon_dir).function_words)
    folder = Path(lexicon_dir) if lexicon_dir else LEXICON_DIR
    words = _read(folder / f"{lang}.yaml").get("function_words") or []
    return frozenset(normalize_arabic(str(w)).lower() for w in words)


def lexicon_versions(lexicon_dir: str | None = None) -> dict[str, int]:
    """The version of every language lexicon, stored with the model to notice stale parameters."""
    return {lang: load_lexicon(lang, lexicon_dir).version for lang in LANGUAGES}
