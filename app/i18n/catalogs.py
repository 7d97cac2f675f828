"""The message catalogues, through Babel's Python API: extracting the
strings to translate from the code (``messages.pot``), starting and
updating each language's ``.po``, compiling ``.mo`` files, and what a
catalogue still lacks."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

APP = Path(__file__).resolve().parent.parent
TRANSLATIONS = APP / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
DOMAIN = "messages"
# What to read for strings: the Python code, and the Jinja templates (with
# the i18n extension's {% trans %} blocks).
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
OPTIONS = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in ("templates/**.html", "templates/**.txt")}
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2)}


def extract() -> Catalog:
    """Every translatable string in the app, with where it is used."""
    catalog = Catalog(project="microblog", charset="utf-8", creation_date=datetime(2026, 1, 1, tzinfo=UTC))
    found = extract_from_dir(APP, METHODS, options_map=OPTIONS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                             strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(f"app/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def shown(path: Path) -> str:
    """``path`` as a command prints it: from the project's root when inside it."""
    return str(path.relative_to(APP.parent)) if path.is_relative_to(APP.parent) else str(path)


def write_template(catalog: Catalog) -> None:
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as out:
        # No dates or line numbers that change with every edit: the file
        # changes only when the messages do.
        write_po(out, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)


def catalog_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    """The languages that have a catalogue."""
    return sorted(path.parent.parent.name for path in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def init(language: str, template: Catalog) -> Path:
    """Start ``language``'s catalogue from ``template``, every message untranslated."""
    catalog = Catalog(locale=language, project="microblog", charset="utf-8")
    catalog.update(template)
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=120, sort_output=True, include_lineno=False)
    return path


def update(language: str, template: Catalog) -> Catalog:
    """Bring ``language``'s catalogue in step with ``template``: new messages
    added empty, changed ones marked fuzzy (Babel's matching), gone ones kept
    as obsolete."""
    path = catalog_path(language)
    catalog = read(path, language)
    catalog.update(template)
    with path.open("wb") as out:
        write_po(out, catalog, width=120, sort_output=True, include_lineno=False)
    return catalog


def missing(catalog: Catalog) -> Iterator[str]:
    """The messages of ``catalog`` that a reader would see untranslated: empty or fuzzy."""
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            yield message.id if isinstance(message.id, str) else message.id[0]


def compile_all() -> list[tuple[str, int]]:
    """Write each catalogue's ``.mo`` next to it; (language, messages) each."""
    done = []
    for language in languages():
        path = catalog_path(language)
        catalog = read(path, language)
        with path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        done.append((language, len([m for m in catalog if m.id])))
    return done
