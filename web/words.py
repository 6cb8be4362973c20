"""Words for reasons, needs, languages, credentials and hours, in the seeker's language."""

from datetime import UTC, date, datetime, time
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_day_names
from babel.numbers import format_decimal
from flask_babel import get_locale

from geo import state_name
from matching.engine import DAY_CODES, Reason, hours_on, local_time
from matching.index import compact_hours
from matching.needs import get_taxonomy
from web.languages import current_language, uses_miles
from web.translate import gettext as _
from web.translate import lazy_gettext as _l
from web.translate import ngettext, pgettext

KM_PER_MILE = 1.609344

CREDENTIAL_LABELS = {
    "doj-recognized": _l("DOJ-recognized organization"),
    "accredited-rep-full": _l("Accredited representative (full accreditation)"),
    "accredited-rep-partial": _l("Accredited representative (partial accreditation)"),
    "attorney": _l("Immigration attorney"),
    "eoir-pro-bono": _l("On the immigration court's free legal help list"),
}
# State names, translatable (geo keeps the English ones for parsing what people type).
STATE_LABELS = {
    "AL": _l("Alabama"),
    "AK": _l("Alaska"),
    "AZ": _l("Arizona"),
    "AR": _l("Arkansas"),
    "CA": _l("California"),
    "CO": _l("Colorado"),
    "CT": _l("Connecticut"),
    "DE": _l("Delaware"),
    "FL": _l("Florida"),
    "GA": _l("Georgia"),
    "HI": _l("Hawaii"),
    "ID": _l("Idaho"),
    "IL": _l("Illinois"),
    "IN": _l("Indiana"),
    "IA": _l("Iowa"),
    "KS": _l("Kansas"),
    "KY": _l("Kentucky"),
    "LA": _l("Louisiana"),
    "ME": _l("Maine"),
    "MD": _l("Maryland"),
    "MA": _l("Massachusetts"),
    "MI": _l("Michigan"),
    "MN": _l("Minnesota"),
    "MS": _l("Mississippi"),
    "MO": _l("Missouri"),
    "MT": _l("Montana"),
    "NE": _l("Nebraska"),
    "NV": _l("Nevada"),
    "NH": _l("New Hampshire"),
    "NJ": _l("New Jersey"),
    "NM": _l("New Mexico"),
    "NY": _l("New York"),
    "NC": _l("North Carolina"),
    "ND": _l("North Dakota"),
    "OH": _l("Ohio"),
    "OK": _l("Oklahoma"),
    "OR": _l("Oregon"),
    "PA": _l("Pennsylvania"),
    "RI": _l("Rhode Island"),
    "SC": _l("South Carolina"),
    "SD": _l("South Dakota"),
    "TN": _l("Tennessee"),
    "TX": _l("Texas"),
    "UT": _l("Utah"),
    "VT": _l("Vermont"),
    "VA": _l("Virginia"),
    "WA": _l("Washington"),
    "WV": _l("West Virginia"),
    "WI": _l("Wisconsin"),
    "WY": _l("Wyoming"),
    "DC": _l("District of Columbia"),
    "PR": _l("Puerto Rico"),
    "VI": _l("U.S. Virgin Islands"),
    "GU": _l("Guam"),
    "AS": _l("American Samoa"),
    "MP": _l("Northern Mariana Islands"),
    "UM": _l("U.S. Minor Outlying Islands"),
}

CREDENTIAL_HELP = {
    "doj-recognized": _l(
        "The U.S. Department of Justice allows this nonprofit to give immigration legal help through its "
        "accredited representatives."
    ),
    "accredited-rep-full": _l(
        "A trained non-lawyer approved by the Department of Justice. Full accreditation means they can also "
        "represent you in immigration court."
    ),
    "accredited-rep-partial": _l(
        "A trained non-lawyer approved by the Department of Justice to help with applications to USCIS "
        "(not in immigration court)."
    ),
    "attorney": _l("A lawyer licensed by a U.S. state. Lawyers may give immigration legal advice."),
    "eoir-pro-bono": _l(
        "Listed by the immigration courts (EOIR) as giving free legal help to people in deportation cases."
    ),
}
COST_LABELS = {
    "free": _l("Free"),
    "sliding-scale": _l("Sliding scale (based on income)"),
    "insurance": _l("Takes insurance"),
    "fee": _l("Charges a fee"),
    "varies": _l("Fees vary"),
}
DOCKET_LABELS = {
    "detained": _l("People held in detention"),
    "non-detained": _l("People who are not detained"),
    "both": _l("People in detention and people who are not detained"),
}
# Languages Babel (CLDR) has no name for, or names in a way our readers would not expect
# (Babel reads "tl" as Filipino of the Philippines). Provider records use these codes.
LANGUAGE_LABELS = {
    "hmn": _l("Hmong"),
    "tl": _l("Tagalog"),
    "ase": _l("American Sign Language"),
    "mix": _l("Mixtec"),
    "yua": _l("Yucatec Maya"),
}
# Babel's data names languages and weekdays in French for Haitian Creole ("ht") and in English for
# Tagalog ("fil"). For these locales the names come from our own catalogue instead.
NAMES_FROM_CATALOGUE = frozenset({"ht", "fil"})
LANGUAGE_NAMES = {
    "am": _l("Amharic"),
    "ar": _l("Arabic"),
    "de": _l("German"),
    "el": _l("Greek"),
    "en": _l("English"),
    "es": _l("Spanish"),
    "fa": _l("Persian"),
    "fr": _l("French"),
    "he": _l("Hebrew"),
    "hi": _l("Hindi"),
    "ht": _l("Haitian Creole"),
    "it": _l("Italian"),
    "ja": _l("Japanese"),
    "ko": _l("Korean"),
    "pl": _l("Polish"),
    "pt": _l("Portuguese"),
    "ru": _l("Russian"),
    "so": _l("Somali"),
    "sw": _l("Swahili"),
    "uk": _l("Ukrainian"),
    "ur": _l("Urdu"),
    "vi": _l("Vietnamese"),
    "zh": _l("Chinese"),
}
DAY_NAMES = {
    "MO": _l("Monday"),
    "TU": _l("Tuesday"),
    "WE": _l("Wednesday"),
    "TH": _l("Thursday"),
    "FR": _l("Friday"),
    "SA": _l("Saturday"),
    "SU": _l("Sunday"),
}
TEXT_PHONE_TYPES = ("text", "sms")  # HSDS phone types that take text messages, not calls
CAPACITY_LABELS = {
    "accepting": _l("Accepting new clients"),
    "waitlist": _l("Waitlist"),
    "not-accepting": _l("Not taking new clients"),
}


# Where a listing came from, said to a seeker: "Listed from <label>, July 2026".
SOURCE_LABELS = {
    "eoir/pro-bono-providers": _l("the EOIR pro bono list"),
    "acf/orr-state-affiliates": _l("the refugee resettlement office's list of affiliates"),
    "ccusa/agency-locator": _l("Catholic Charities USA's list of agencies"),
    "lsc/office-locations": _l("the Legal Services Corporation's list of offices"),
    "lsc/grantee-programs": _l("the Legal Services Corporation's list of programs"),
    "lawhelpny/org-directory": _l("the LawHelpNY directory"),
    "samhsa/findtreatment": _l("SAMHSA's FindTreatment directory"),
    "nami/affiliate-directory": _l("NAMI's list of affiliates"),
    "nami/warmline-directory": _l("NAMI's list of warmlines"),
    "mha/affiliate-pages": _l("Mental Health America's list of affiliates"),
    "988lifeline/crisis-centers": _l("the 988 Lifeline's list of crisis centers"),
    "acf/fvpsa-tribal-grantees-fy2025": _l("the federal family violence program's list of tribal programs"),
    "acf/fvpsa-state-administrators": _l("the federal family violence program's list of state offices"),
    "acf/fysb-rhy-grantees": _l("the federal runaway and homeless youth program's list"),
    "nnedv/state-coalitions": _l("the National Network to End Domestic Violence's list of state coalitions"),
    "salvationarmy/location-finder": _l("the Salvation Army's list of locations"),
}
COALITION_DIRECTORY = _l("a state domestic violence coalition's directory")
PUBLIC_DIRECTORY = _l("a public directory")


def list_separator() -> str:
    """Return what separates the items of a list in the current language (", " ; "、" in Chinese; "، " in Arabic)."""
    # Translators: the separator between items of a list ("Spanish, English"), with its space if any.
    return pgettext("list separator", ", ")


def lang() -> str:
    """Return the current language's code, as in URLs and ``<html lang>`` ("es", "zh-Hant", "tl")."""
    return current_language().code


def locale() -> Locale:
    """Return the current Babel locale, for dates, times and names."""
    return get_locale() or Locale("en")


def language_label(code: str) -> str:
    """Return a language's name in the current language ("es" -> "español" or "Spanish"; "hmn" -> "hmong")."""
    if code in LANGUAGE_LABELS:
        return str(LANGUAGE_LABELS[code])
    if locale().language in NAMES_FROM_CATALOGUE and code in LANGUAGE_NAMES:
        return str(LANGUAGE_NAMES[code])
    return _display_name(code, locale())


# Babel's formatting is pure (the same value and locale give the same text) but not cheap: parsing a
# locale that does not exist (vi_US) lists Babel's data folder, and a pattern or a date skeleton is
# parsed again on every call. Results pages format the same distances, months and hours over and
# over, so the functions below keep what they made, per locale (a bounded number of entries).


@lru_cache(maxsize=1024)
def _display_name(code: str, current: Locale) -> str:
    try:
        return Locale.parse(code).get_display_name(current) or code
    except (UnknownLocaleError, ValueError):
        return code


@lru_cache(maxsize=64)
def _us_variant(current: Locale) -> Locale:
    """Return the US variant of ``current``'s language when Babel has one (es_US), else ``current``."""
    try:  # es_US writes 1.8 where es writes 1,8; most languages have no US variant and keep their own
        return Locale.parse(f"{current.language}_US")
    except (UnknownLocaleError, ValueError):
        return current


@lru_cache(maxsize=16384)
def _decimal(value: float, decimals: int, current: Locale) -> str:
    pattern = "#,##0." + "#" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=_us_variant(current), numbering_system="latn")


def number(value: float, *, decimals: int = 1) -> str:
    """Return a distance rounded to ``decimals``, as the current language writes numbers in the US (Western digits)."""
    return _decimal(round(value, decimals), decimals, locale())


def distance_text(km: float) -> str:
    """Return a distance in the reader's unit: "1.1 mi" or "1.8 km"."""
    if uses_miles():
        return _("%(mi)s mi", mi=number(km / KM_PER_MILE))
    return _("%(km)s km", km=number(km))


def radius_text(km: float) -> str:
    """Return a search radius in the reader's unit, in whole numbers: "31 mi" or "50 km"."""
    if uses_miles():
        return _("%(mi)s mi", mi=number(km / KM_PER_MILE, decimals=0))
    return _("%(km)s km", km=number(km, decimals=0))


def within_text(km: float) -> str:
    """Return a radius choice in the reader's unit: "Within 25 miles" or "Within 50 km"."""
    if uses_miles():
        return _("Within %(mi)s miles", mi=number(km / KM_PER_MILE, decimals=0))
    return _("Within %(km)s km", km=number(km, decimals=0))


def need_label(code: str) -> str:
    """Return a need's label in the current language."""
    taxonomy = get_taxonomy()
    return _(taxonomy[code].label) if code in taxonomy else code


def need_description(code: str) -> str:
    """Return a need's description in the current language."""
    return _(get_taxonomy()[code].description)


def need_gloss(code: str) -> str | None:
    """Return a legal term's one-sentence gloss in the current language, or None when it has none."""
    taxonomy = get_taxonomy()
    gloss = taxonomy[code].gloss if code in taxonomy else None
    return _(gloss) if gloss else None


def state_label(code: str | None) -> str:
    """Return a state's name ("TX" -> "Texas")."""
    return str(STATE_LABELS.get(code or "", (state_name(code) if code else None) or code or ""))


def day_names() -> dict[str, str]:
    """Return weekday names in the current language, keyed by RFC 5545 code ("MO" -> "Monday")."""
    if locale().language in NAMES_FROM_CATALOGUE:
        return {code: str(name) for code, name in DAY_NAMES.items()}
    names = get_day_names("wide", locale=locale())
    return {code: names[index] for index, code in enumerate(DAY_CODES)}


def clock(value: str) -> str:
    """Return "09:00" as the current language writes times ("9:00 AM" or "9:00")."""
    if value == "24:00":
        value = "23:59"
    return _short_time(value, locale())


@lru_cache(maxsize=4096)
def _short_time(value: str, current: Locale) -> str:
    hour, minute = (int(part) for part in value.split(":"))
    return format_time(time(hour, minute), format="short", locale=current)


def hours_text(spans: list[tuple[str, str]]) -> str:
    """Return a day's hours: "9:00 AM - 5:00 PM", "Open 24 hours" or "Closed"."""
    if not spans:
        return pgettext("hours", "Closed")
    if spans == [("00:00", "24:00")]:
        return _("Open 24 hours")
    return ", ".join(f"{clock(opens)} – {clock(closes)}" for opens, closes in spans)


def hours_today(hours: str, timezone: str | None) -> str | None:
    """Return today's hours at the site, or None when the hours are not known."""
    if not hours:
        return None
    local = local_time(datetime.now(UTC), timezone)
    return hours_text(hours_on(hours, DAY_CODES[local.weekday()]))


def week_hours(schedules: list) -> list[tuple[str, str]]:
    """Return (day name, hours) for the seven days, or [] when no hours are known."""
    hours = compact_hours(schedules)
    if not hours:
        return []
    names = day_names()
    return [(names[day], hours_text(hours_on(hours, day))) for day in DAY_CODES]


def hours_label(source, *, sites: int) -> str:
    """Name whose hours a table shows: the service's own, or one site's (never a private site's address)."""
    if source.site is None:
        return _("Hours of this service")
    location = source.site.location
    if sites == 1 or location.confidential:
        return _("Opening hours of the location")
    address = source.site.address or {}
    place = location.name or address.get("address_1") or address.get("city")
    return _("Opening hours at %(place)s", place=place) if place else _("Opening hours of the location")


def labelled_hours(listing, *, days=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return (label, [(day name, hours)]) per source of hours: the service's, then each site's."""
    days = days or week_hours
    sites = len(listing.sites)
    return [(hours_label(source, sites=sites), days(source.schedules)) for source in listing.hours_by_source]


def reason_text(reason: Reason) -> str:
    """Word one reason."""
    p = reason.params
    match reason.code:
        case "distance":
            if uses_miles():
                return _("%(mi)s mi away", mi=number(p["km"] / KM_PER_MILE))
            return _("%(km)s km away", km=number(p["km"]))
        case "in_town":
            # The point is a town or ZIP centre: the town is known, the distance is not.
            if p.get("city") and p.get("street"):
                return _("In %(town)s", town=p["city"])
            if p.get("city"):
                return _("In %(town)s (exact address not listed)", town=p["city"])
            return _("Exact address not listed")
        case "area_national":
            return _("Serves people anywhere in the US")
        case "area_state":
            return _("Serves all of %(state)s", state=state_label(p["state"]))
        case "area_county":
            return _("Serves %(county)s", county=p.get("county") or "")
        case "need":
            return _("Helps with: %(needs)s", needs=list_separator().join(need_label(code) for code in p["needs"]))
        case "need_general":
            return _(
                "General help in this area; ask about: %(needs)s",
                needs=list_separator().join(need_label(code) for code in p["needs"]),
            )
        case "language":
            return _("Speaks %(language)s", language=language_label(p["language"]))
        case "language_unknown":
            return _("Languages not listed: call to ask")
        case "accepting_unknown":
            return _("Does not say if they take new clients: call to ask")
        case "credential_unknown":
            return _("Credentials not listed")
        case "hours_unknown":
            return _("Hours not listed: call to ask")
        case "free":
            return _("Free")
        case "sliding_scale":
            return _("Sliding scale (based on income)")
        case "credential":
            return str(CREDENTIAL_LABELS.get(p["credential"], p["credential"]))
        case "accepting":
            return _("Accepting new clients")
        case "open_now":
            return _("Open now")
        case "remote":
            return _("Help by phone or online")
    return reason.code


def asked_filters(query: dict) -> list[str]:
    """Return the asked-for filters whose data a listing may not give (see UNKNOWABLE_FILTERS)."""
    asked = {
        "language": bool(query.get("languages")),
        "accepting": bool(query.get("accepting")),
        "credential": bool(query.get("credentials")),
        "open_now": bool(query.get("open_now")),
    }
    return [name for name, on in asked.items() if on]


def tier_words(query: dict, counts: dict) -> dict | None:
    """Return the headings and the summary of the confirmed and the unknown results, or None when
    no asked-for filter can be unknown (the results are then one list)."""
    asked = asked_filters(query)
    if not asked:
        return None
    languages = list_separator().join(language_label(code) for code in query.get("languages") or [])
    yes, unsure = counts["confirmed"], counts["unknown"]
    if asked == ["language"]:
        confirmed = _("They say they speak %(languages)s", languages=languages)
        unknown = _("These don't list their languages: call to ask")
        said = ngettext("%(num)d says it speaks %(languages)s", "%(num)d say they speak %(languages)s", yes,
                        languages=languages) if yes else _("None say they speak %(languages)s", languages=languages)
        unsaid = ngettext("%(num)d doesn't list its languages", "%(num)d don't list their languages", unsure)
    elif asked == ["accepting"]:
        confirmed = _("They say they take new clients")
        unknown = _("These don't say if they take new clients: call to ask")
        said = ngettext("%(num)d says it takes new clients", "%(num)d say they take new clients", yes) if yes else _(
            "None say they take new clients")
        unsaid = ngettext("%(num)d doesn't say", "%(num)d don't say", unsure)
    elif asked == ["credential"]:
        confirmed = _("They list the credential you asked for")
        unknown = _("These don't list their credentials: call to ask")
        said = ngettext("%(num)d lists the credential", "%(num)d list the credential", yes) if yes else _(
            "None list the credential")
        unsaid = ngettext("%(num)d doesn't list its credentials", "%(num)d don't list their credentials", unsure)
    elif asked == ["open_now"]:
        confirmed = _("Open now")
        unknown = _("These don't list their hours: call to ask")
        said = ngettext("%(num)d is open now", "%(num)d are open now", yes) if yes else _("None are open now")
        unsaid = ngettext("%(num)d doesn't list its hours", "%(num)d don't list their hours", unsure)
    else:
        confirmed = _("They match everything you asked")
        unknown = _("These don't list everything you asked about: call to ask")
        said = (ngettext("%(num)d matches everything you asked", "%(num)d match everything you asked", yes)
                if yes else _("None match everything you asked"))
        unsaid = ngettext("%(num)d doesn't say", "%(num)d don't say", unsure)
    summary = _("%(said)s; %(unsaid)s.", said=said, unsaid=unsaid)
    return {"confirmed": confirmed, "unknown": unknown, "summary": summary}


def dial_href(phone: dict) -> str:
    """Return the tel: or sms: link of a phone ({"number", "extension", "type"}) as a phone dials it."""
    digits = "".join(ch for ch in phone["number"] if ch.isdigit() or ch == "+")
    if phone.get("type") in TEXT_PHONE_TYPES:
        return f"sms:{digits}"
    extension = "".join(ch for ch in str(phone.get("extension") or "") if ch.isdigit())  # HSDS: a number
    return f"tel:{digits}" + (f",{extension}" if extension else "")


def call_phone(phones: list[dict]) -> dict | None:
    """Return the first phone one can call (not a fax, not a text line), or None."""
    return next((p for p in phones if p.get("type") not in (*TEXT_PHONE_TYPES, "fax")), None)


def text_phone(phones: list[dict]) -> dict | None:
    """Return the first text-message line, or None."""
    return next((p for p in phones if p.get("type") in TEXT_PHONE_TYPES), None)


def source_label(sources: list[str]) -> str | None:
    """Name the list a listing came from (the EOIR list first), or None when it has no source."""
    if not sources:
        return None
    ordered = sorted(sources, key=lambda key: (key != "eoir/pro-bono-providers", key not in SOURCE_LABELS))
    key = ordered[0]
    if key in SOURCE_LABELS:
        return str(SOURCE_LABELS[key])
    return str(COALITION_DIRECTORY if key.endswith("/program-directory") else PUBLIC_DIRECTORY)


def listing_dates(sources: list[str], listed_on: date | None, confirmed_on: date | None) -> dict:
    """Say where a listing came from and when, apart from a real confirmation by the organization.

    "Listed from the EOIR pro bono list, July 2026" is the date a list was compiled; only
    "Confirmed by the organization on Dec 1, 2026" says that someone there checked it.
    """
    origin = source_label(sources)
    if origin and listed_on:
        month = _month(listed_on, locale())
        listed = _("Listed from %(source)s, %(month)s", source=origin, month=month)
    elif origin:
        listed = _("Listed from %(source)s", source=origin)
    else:
        listed = None
    confirmed = (
        _("Confirmed by the organization on %(date)s", date=_medium_date(confirmed_on, locale()))
        if confirmed_on
        else None
    )
    lines = [line for line in (confirmed, listed) if line] or [_("Not yet confirmed by the organization")]
    return {
        "listed_on": listed_on.isoformat() if listed_on else None,
        "confirmed_on": confirmed_on.isoformat() if confirmed_on else None,
        "sources": list(sources),
        "text": ". ".join(lines),
    }


@lru_cache(maxsize=4096)
def _month(day: date, current: Locale) -> str:
    """Return "July 2026" as ``current`` writes a month and year."""
    return format_skeleton("yMMMM", day, locale=current)


@lru_cache(maxsize=4096)
def _medium_date(day: date, current: Locale) -> str:
    """Return "Dec 1, 2026" as ``current`` writes a date."""
    return format_date(day, "medium", locale=current)
