"""Languages of the web pages: Babel message catalogs read at start-up, one Jinja2 environment per language.

The catalogs are the ``.po`` files in ``translations/<lang>/LC_MESSAGES/messages.po``, compiled in memory
when first needed (no build step, no compiled files to keep in step). English is the source language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from io import BytesIO

from babel import Locale, negotiate_locale
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from alerts.render import human

DEFAULT_LANGUAGE = "en"
#: Shipped languages, in the order the language switcher lists them.
LANGUAGES = ("en", "fr", "ar")
LANG_COOKIE = "aidwatch_lang"


@dataclass(frozen=True, slots=True)
class Language:
    """A page language: its code, its own name and its writing direction."""

    code: str
    name: str
    direction: str  # "ltr" or "rtl"


def language(code: str) -> Language:
    """The language ``code`` with its own name and direction (from the CLDR data Babel ships)."""
    locale = Locale.parse(code)
    return Language(code, (locale.get_display_name(locale) or code).capitalize(), locale.text_direction)


def catalog_path(code: str) -> str:
    """Where a language's ``.po`` catalog lives inside the package."""
    return f"translations/{code}/LC_MESSAGES/messages.po"


def translations(code: str) -> NullTranslations:
    """Compiled translations for ``code`` (English: none, the templates are written in it)."""
    if code == DEFAULT_LANGUAGE:
        return NullTranslations()
    with files("alerts.web").joinpath(catalog_path(code)).open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@lru_cache(maxsize=len(LANGUAGES))
def environment(code: str) -> Environment:
    """The Jinja2 environment rendering pages in ``code`` (templates are autoescaped HTML)."""
    env = Environment(
        loader=PackageLoader("alerts.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(code), newstyle=True)  # type: ignore[attr-defined]
    env.filters["human"] = human
    env.filters["join_list"] = lambda items: join_list(items, code)
    return env


def join_list(items: Iterable[object], code: str) -> Markup:
    """ "A, B and C" as the language writes lists ("A وB وC" in Arabic); each item HTML-escaped once."""
    return Markup(format_list([str(escape(item)) for item in items], locale=code))


def choose_language(query: str | None, cookie: str | None, accept_language: str) -> str:
    """The page language: ``?lang=``, else the remembered choice, else the browser's preference, else English."""
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit
    preferred = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            preferred.append((weight, tag.replace("_", "-")))
    ordered = [tag for _, tag in sorted(preferred, key=lambda item: -item[0])]
    return negotiate_locale(ordered, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE
