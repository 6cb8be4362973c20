"""Every catalogue is complete: each seeker-facing string translated, none fuzzy, placeholders intact.

The eleven languages are listed once, in web.languages.SITE_LANGUAGES. Until every translator's
catalogue is merged, a language without a catalogue is skipped; set ALL_CATALOGUES_MERGED to True
when they are, and a missing catalogue fails too.
"""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from web.languages import SITE_LANGUAGES, STAFF_BLUEPRINTS

ALL_CATALOGUES_MERGED = True

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "translations" / "messages.pot"
# Languages whose staff pages are translated too (config.STAFF_LANGUAGES' default): every string counts.
STAFF_LANGUAGE_CODES = ("es",)
# Files only staff see. A string used by any other file is seeker-facing.
STAFF_FILES = re.compile(
    r"^(accounts/|listings/|hsds/|templates/(accounts|listings|hsds)/"
    r"|referrals/(?!slip\.py|status\.py|words\.py|codes\.py|inbox_forms\.py)"
    r"|templates/referrals/(?!slip\.html|status\.html))"
)
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def placeholders(text: str) -> list[str]:
    """Return the python-format placeholders of ``text`` ("%(num)d" -> "num"; "%s" -> "%s"), sorted."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        found.append(match.group(1) or match.group(0)[-1])
    return sorted(found)


def seeker_facing(message: Message) -> bool:
    """Tell whether any page a help seeker sees uses this string."""
    return any(not STAFF_FILES.match(filename) for filename, _line in message.locations)


def problems(template: Catalog, catalogue: Catalog, *, staff_too: bool) -> list[str]:
    """List what is wrong with ``catalogue`` against ``template``: missing, empty, fuzzy, placeholders."""
    found = []
    for wanted in template:
        if not wanted.id or not (staff_too or seeker_facing(wanted)):
            continue
        key = wanted.id if isinstance(wanted.id, str) else wanted.id[0]
        message = catalogue.get(key, wanted.context)
        label = key[:70]
        if message is None:
            found.append(f"missing: {label}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        too_few_forms = message.pluralizable and len(strings) < catalogue.num_plurals
        if too_few_forms or not all(text and text.strip() for text in strings):
            found.append(f"not translated: {label}")
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {label}")
            continue
        if message.pluralizable:
            expected = set(placeholders(message.id[1]))
            # A form for one (Arabic has six forms) may say "one place" in words, without the number.
            if any(not set(placeholders(text)) <= expected for text in strings) or set(
                placeholders(strings[-1])
            ) != expected:
                found.append(f"placeholders: {label}")
        elif placeholders(message.id) != placeholders(message.string):
            found.append(f"placeholders: {label}")
    return found


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return load(TEMPLATE)


@pytest.mark.parametrize("language", [lang for lang in SITE_LANGUAGES if lang.code != "en"], ids=lambda lang: lang.code)
def test_every_seeker_facing_string_is_translated_in_every_language(template, language):
    path = ROOT / "translations" / language.locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        if ALL_CATALOGUES_MERGED:
            pytest.fail(f"no catalogue for {language.code} at {path.relative_to(ROOT)}")
        pytest.skip(f"the {language.code} catalogue is not merged yet")
    catalogue = load(path, language.locale)
    found = problems(template, catalogue, staff_too=language.code in STAFF_LANGUAGE_CODES)
    assert not found, f"{language.code}: {len(found)} problems, first: {found[:15]}"


def test_the_template_is_up_to_date_with_the_needs_file(template):
    from matching.needs import get_taxonomy

    for need in get_taxonomy().needs.values():
        for text in (need.label, need.description, need.gloss):
            if text:
                assert template.get(text) is not None, f"run make translations-update: {text[:60]}"


def _catalogue(*entries: tuple[str, str, bool]) -> Catalog:
    catalogue = Catalog(locale="fr")
    for msgid, msgstr, fuzzy in entries:
        catalogue.add(msgid, msgstr, locations=[("templates/base.html", None)], flags=["fuzzy"] if fuzzy else [])
    return catalogue


def test_the_check_fails_when_one_string_lacks_a_translation():
    template = _catalogue(("Quick exit", "", False), ("Help near %(place)s", "", False))
    assert problems(template, _catalogue(("Quick exit", "Sortie rapide", False)), staff_too=False) == [
        "missing: Help near %(place)s"
    ]
    empty = _catalogue(("Quick exit", "", False), ("Help near %(place)s", "Aide près de %(place)s", False))
    assert problems(template, empty, staff_too=False) == ["not translated: Quick exit"]
    fuzzy = _catalogue(("Quick exit", "Sortie", True), ("Help near %(place)s", "Aide près de %(place)s", False))
    assert problems(template, fuzzy, staff_too=False) == ["fuzzy: Quick exit"]
    broken = _catalogue(("Quick exit", "Sortie rapide", False), ("Help near %(place)s", "Aide près de %(lieu)s", False))
    assert problems(template, broken, staff_too=False) == ["placeholders: Help near %(place)s"]


def test_staff_only_strings_are_not_asked_of_seeker_languages():
    template = Catalog(locale="fr")
    template.add("Review queue", "", locations=[("templates/listings/review.html", None)])
    template.add("Your referral", "", locations=[("templates/referrals/slip.html", None)])
    assert problems(template, Catalog(locale="fr"), staff_too=False) == ["missing: Your referral"]
    assert len(problems(template, Catalog(locale="fr"), staff_too=True)) == 2


def test_staff_files_match_the_staff_blueprints():
    # The staff blueprints' folders are the ones whose strings seekers never see.
    assert {"accounts", "listings", "referrals", "inbox", "hsds_docs"} == STAFF_BLUEPRINTS
    assert STAFF_FILES.match("listings/forms.py")
    assert STAFF_FILES.match("templates/referrals/work_search.html")
    assert not STAFF_FILES.match("templates/referrals/slip.html")
    assert not STAFF_FILES.match("referrals/slip.py")
    assert not STAFF_FILES.match("finder/views.py")
    assert not STAFF_FILES.match("data/needs.json")
