"""Words for reasons, needs, languages and credentials, in the seeker's language."""

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from geo import state_name
from matching.engine import Reason
from matching.needs import get_taxonomy

CREDENTIAL_LABELS = {
    "doj-recognized": _l("DOJ-recognized organization"),
    "accredited-rep-full": _l("Accredited representative (full accreditation)"),
    "accredited-rep-partial": _l("Accredited representative (partial accreditation)"),
    "attorney": _l("Immigration attorney"),
    "eoir-pro-bono": _l("On the immigration court's free legal help list"),
}
COST_LABELS = {
    "free": _l("Free"),
    "sliding-scale": _l("Sliding scale (based on income)"),
    "insurance": _l("Takes insurance"),
    "fee": _l("Charges a fee"),
    "varies": _l("Fees vary"),
}
CAPACITY_LABELS = {
    "accepting": _l("Accepting new clients"),
    "waitlist": _l("Waitlist"),
    "not-accepting": _l("Not taking new clients"),
}


def lang() -> str:
    """Return the current language code."""
    return str(get_locale() or "en")


def language_label(code: str) -> str:
    """Return a language's name in the current language ("es" -> "español" or "Spanish")."""
    try:
        return Locale.parse(code).get_display_name(lang()) or code
    except (UnknownLocaleError, ValueError):
        return code


def need_label(code: str) -> str:
    """Return a need's label in the current language."""
    taxonomy = get_taxonomy()
    return taxonomy[code].label(lang()) if code in taxonomy else code


def state_label(code: str | None) -> str:
    """Return a state's name ("TX" -> "Texas")."""
    return (state_name(code) if code else None) or code or ""


def reason_text(reason: Reason) -> str:
    """Word one reason."""
    p = reason.params
    match reason.code:
        case "distance":
            return _("%(km)s km away", km=p["km"])
        case "area_national":
            return _("Serves people anywhere in the US")
        case "area_state":
            return _("Serves all of %(state)s", state=state_label(p["state"]))
        case "area_county":
            return _("Serves %(county)s", county=p.get("county") or "")
        case "need":
            return _("Helps with: %(needs)s", needs=", ".join(need_label(code) for code in p["needs"]))
        case "need_general":
            return _(
                "General help in this area; ask about: %(needs)s",
                needs=", ".join(need_label(code) for code in p["needs"]),
            )
        case "language":
            return _("Speaks %(language)s", language=language_label(p["language"]))
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
