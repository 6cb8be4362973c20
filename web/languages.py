"""The languages the site speaks: codes, catalogues, direction, the language a request gets, and units.

Three names for one language, because three standards disagree:

- ``code``: BCP 47, in URLs (``?lang=zh-Hans``), the ``lang`` cookie, ``hreflang`` and ``<html lang>``.
- ``locale``: Babel's identifier, also the catalogue's folder in ``translations/``. Babel has no
  ``tl`` locale (it reads "tl" as ``fil_PH``), so Tagalog's catalogue lives in ``translations/fil``;
  Chinese is ``zh_Hans`` and ``zh_Hant`` (Babel's script subtags), never ``zh_CN``/``zh_TW``.
- ``name``: the language's own name in its own script, for the picker.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import get_locale

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@dataclass(frozen=True)
class SiteLanguage:
    code: str
    locale: str
    name: str
    rtl: bool = False


# The eleven languages of the site, English (the source) first, then Spanish, then the largest
# groups of US residents with limited English. One list: the picker, hreflang, the catalogue
# completeness test and the staff settings all read it.
SITE_LANGUAGES = (
    SiteLanguage("en", "en", "English"),
    SiteLanguage("es", "es", "Español"),
    SiteLanguage("zh-Hans", "zh_Hans", "简体中文"),
    SiteLanguage("zh-Hant", "zh_Hant", "繁體中文"),
    SiteLanguage("vi", "vi", "Tiếng Việt"),
    SiteLanguage("ko", "ko", "한국어"),
    SiteLanguage("tl", "fil", "Tagalog"),
    SiteLanguage("ar", "ar", "العربية", rtl=True),
    SiteLanguage("ht", "ht", "Kreyòl ayisyen"),
    SiteLanguage("fr", "fr", "Français"),
    SiteLanguage("pt", "pt", "Português"),
)
BY_CODE = {language.code: language for language in SITE_LANGUAGES}
BY_LOCALE = {language.locale: language for language in SITE_LANGUAGES}
# Tags a browser or a caseworker's form may send, mapped onto the site's codes (compared in lower case).
ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-my": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
    "fil": "tl",
    "tl": "tl",
}
# Blueprints for staff (organizations, caseworkers, moderators): they get STAFF_LANGUAGES only.
STAFF_BLUEPRINTS = frozenset({"accounts", "listings", "referrals", "inbox", "hsds_docs"})
# Regions where people measure road distances in miles (CLDR's "measurementSystem" US, plus the UK's roads).
MILES_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "LR", "MM", "GB"})


def has_catalogue(language: SiteLanguage) -> bool:
    """Tell whether ``translations/`` holds this language's catalogue (English needs none)."""
    return language.code == "en" or (TRANSLATIONS_DIR / language.locale / "LC_MESSAGES" / "messages.po").exists()


def configured_languages(app: Flask) -> None:
    """Settle LANGUAGES (None: every site language whose catalogue is present) and STAFF_LANGUAGES."""
    for key, default in (("LANGUAGES", None), ("STAFF_LANGUAGES", ("en", "es"))):
        value = app.config.get(key, default)
        if value is None:
            value = [language.code for language in SITE_LANGUAGES if has_catalogue(language)]
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        codes = [code for code in (site_code(part) for part in value) if code]
        app.config[key] = tuple(dict.fromkeys(["en", *codes]))


def site_code(tag: str | None) -> str | None:
    """Return the site's code for a language tag ("zh-TW" -> "zh-Hant", "fil" -> "tl", "es-MX" -> "es")."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    lowered = tag.lower()
    parts = lowered.split("-")
    for candidate in (lowered, "-".join(parts[:2]), parts[0]):
        if candidate in ALIASES:
            return ALIASES[candidate]
        for language in SITE_LANGUAGES:
            if language.code.lower() == candidate:
                return language.code
    return None


def offered_codes() -> tuple[str, ...]:
    """Return the codes this request may be answered in (staff pages: STAFF_LANGUAGES)."""
    offered = current_app.config["LANGUAGES"]
    if request and request.blueprint in STAFF_BLUEPRINTS:
        staff = current_app.config["STAFF_LANGUAGES"]
        offered = tuple(code for code in offered if code in staff) or ("en",)
    return offered


def choose_code(offered: tuple[str, ...]) -> str:
    """Pick the language: ?lang=, then the chosen-language cookie, then the browser's preference, else English."""
    for candidate in (request.args.get("lang"), request.cookies.get("lang")):
        code = site_code(candidate)
        if code in offered:
            return code
    for tag, _quality in request.accept_languages:
        code = site_code(tag)
        if code in offered:
            return code
    return "en"


def select_locale() -> str:
    """Flask-Babel's locale selector: the Babel identifier of the chosen language."""
    return BY_CODE[choose_code(offered_codes())].locale


def current_language() -> SiteLanguage:
    """Return the language of this request (or of a ``force_locale`` block)."""
    locale = get_locale()
    if locale is None:
        return BY_CODE["en"]
    for identifier in (str(locale), f"{locale.language}_{locale.script}" if locale.script else "", locale.language):
        if identifier in BY_LOCALE:
            return BY_LOCALE[identifier]
    return BY_CODE.get(site_code(str(locale)) or "en", BY_CODE["en"])


def uses_miles() -> bool:
    """Tell whether to show miles: ?units= first; else miles unless the browser names a region that uses km.

    The site only covers US places, so a language alone (en, es, vi, ar...) means its US reader:
    miles. A browser set to es-MX or fr-FR belongs to someone who may still think in kilometres.
    """
    units = request.args.get("units")
    if units in ("mi", "km"):
        return units == "mi"
    for tag, _quality in request.accept_languages:
        parts = tag.replace("_", "-").split("-")
        regions = [part.upper() for part in parts[1:] if len(part) == 2 or part.isdigit()]
        return not regions or regions[0] in MILES_REGIONS
    return True
