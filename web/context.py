"""What every page template can use: language, direction, alternate-language links, units, quick exit."""

from flask import Flask, current_app, request, url_for

from matching.needs import get_taxonomy
from web.languages import BY_CODE, current_language, offered_codes, uses_miles
from web.words import (
    CAPACITY_LABELS,
    COST_LABELS,
    CREDENTIAL_HELP,
    CREDENTIAL_LABELS,
    DOCKET_LABELS,
    KM_PER_MILE,
    call_phone,
    dial_href,
    distance_text,
    language_label,
    list_separator,
    listing_dates,
    need_description,
    need_gloss,
    need_label,
    radius_text,
    text_phone,
    tier_words,
    within_text,
)

RADIUS_CHOICES_MI = (5, 10, 25, 50, 100)
RADIUS_CHOICES_KM = (10, 25, 50, 100, 250, 500)


def radius_choices(current_km: float) -> tuple[str, list[tuple[int, str, bool]]]:
    """Return the radius field's name and its (value, label, selected) choices, in the reader's unit.

    The current radius is always a choice (in miles, the 50 km default reads "Within 31 miles").
    """
    if uses_miles():
        name, values, per_unit = "radius_mi", list(RADIUS_CHOICES_MI), KM_PER_MILE
    else:
        name, values, per_unit = "radius_km", list(RADIUS_CHOICES_KM), 1.0
    current = round(current_km / per_unit)
    if not any(abs(value * per_unit - current_km) < 0.5 for value in values):
        values = sorted({*values, current})
    return name, [(value, within_text(value * per_unit), value == current) for value in values]

# Languages offered in the search form, most asked-for first among immigrants in the US.
SEARCH_LANGUAGES = ["es", "en", "zh", "vi", "ar", "ht", "fr", "pt", "tl", "ko", "ru", "hi", "fa", "so", "am", "hmn"]


def top_needs() -> list[dict]:
    """Return the top-level needs with label, icon and hint in the current language."""
    return [
        {"code": need.code, "label": need_label(need.code), "icon": need.icon, "hint": need_description(need.code)}
        for need in get_taxonomy().top_level
    ]


def need_family(code: str | None) -> dict | None:
    """Return the top-level need of ``code`` and its children, for the "narrow it down" links."""
    taxonomy = get_taxonomy()
    if not code or code not in taxonomy:
        return None
    top = (taxonomy.ancestors(code) or [code])[-1]
    return {
        "top": top,
        "children": [(child, need_label(child)) for child in taxonomy[top].children],
        "glosses": {child: need_gloss(child) for child in taxonomy[top].children},
        "is_immigration_legal": top == "immigration-legal",
    }


def url_with(**changes) -> str:
    """Return the current URL with some query parameters changed (None removes one).

    Built once per request for the same changes: every page asks for ``url_with(lang=None)`` once per
    language in its picker.
    """
    key = tuple((name, None if value is None else str(value)) for name, value in changes.items())
    built = request.environ.setdefault("amparo.urls_with", {})  # this request's, whatever the app context
    if key not in built:
        built[key] = _url_with(changes)
    return built[key]


def _url_with(changes: dict) -> str:
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "finder.start", **(request.view_args or {}), **args)


def page_context() -> dict:
    """Return the names every template gets."""
    language = current_language()
    return {
        "current_lang": language.code,
        "current_lang_name": language.name,
        "text_direction": "rtl" if language.rtl else "ltr",
        "site_languages": [(code, BY_CODE[code].name) for code in offered_codes()],
        "miles": uses_miles(),
        "distance_text": distance_text,
        "radius_text": radius_text,
        "radius_choices": radius_choices,
        "quick_exit_url": current_app.config["QUICK_EXIT_URL"],
        "url_with": url_with,
        "need_label": need_label,
        "need_gloss": need_gloss,
        "language_label": language_label,
        "list_separator": list_separator,
        "credential_labels": CREDENTIAL_LABELS,
        "credential_help": CREDENTIAL_HELP,
        "cost_labels": COST_LABELS,
        "capacity_labels": CAPACITY_LABELS,
        "docket_labels": DOCKET_LABELS,
        "top_needs": top_needs,
        "need_family": need_family,
        "search_languages": SEARCH_LANGUAGES,
        "tier_words": tier_words,
        "dial_href": dial_href,
        "call_phone": call_phone,
        "text_phone": text_phone,
        "listing_dates": listing_dates,
    }


def register(app: Flask) -> None:
    """Install the context processor."""
    app.context_processor(page_context)
