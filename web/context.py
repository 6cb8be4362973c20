"""What every page template can use: language, direction, alternate-language links, quick exit."""

from flask import Flask, current_app, request, url_for

from extensions import SUPPORTED_LOCALES
from matching.needs import get_taxonomy
from web.words import (
    CAPACITY_LABELS,
    COST_LABELS,
    CREDENTIAL_HELP,
    CREDENTIAL_LABELS,
    DOCKET_LABELS,
    call_phone,
    dial_href,
    lang,
    language_label,
    listing_dates,
    need_label,
    text_phone,
    tier_words,
)

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "yi"}
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
    "vi": "Tiếng Việt",
    "ht": "Kreyòl ayisyen",
    "fr": "Français",
    "pt": "Português",
}


# Languages offered in the search form, most asked-for first among immigrants in the US.
SEARCH_LANGUAGES = ["es", "en", "zh", "vi", "ar", "ht", "fr", "pt", "tl", "ko", "ru", "hi", "fa", "so", "am", "hmn"]


def top_needs() -> list[dict]:
    """Return the top-level needs with label, icon and hint in the current language."""
    code = lang()
    return [
        {"code": need.code, "label": need.label(code), "icon": need.icon, "hint": need.description(code)}
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
        "children": [(child, taxonomy[child].label(lang())) for child in taxonomy[top].children],
        "is_immigration_legal": top == "immigration-legal",
    }


def url_with(**changes) -> str:
    """Return the current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "finder.start", **(request.view_args or {}), **args)


def page_context() -> dict:
    """Return the names every template gets."""
    code = lang()
    return {
        "current_lang": code,
        "text_direction": "rtl" if code in RTL_LANGUAGES else "ltr",
        "site_languages": [(c, LANGUAGE_NAMES.get(c, c)) for c in SUPPORTED_LOCALES],
        "quick_exit_url": current_app.config["QUICK_EXIT_URL"],
        "url_with": url_with,
        "need_label": need_label,
        "language_label": language_label,
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
