"""gettext with the request's catalogue looked up once per request, not on every call.

Flask-Babel's ``gettext`` finds the domain, the locale and the catalogue again on every call,
through half a dozen context-local look-ups (about 20 µs); a results page translates some hundreds
of strings, an API answer about a hundred, and that was a tenth of a search request (issue #14).
The catalogue cannot change within a request except under ``force_locale`` or ``refresh``, so it
is kept on Flask-Babel's own per-request namespace, under the name Flask-Babel reserves for it
(``babel_translations``): ``force_locale`` sets it to None on entry and restores it on exit, and
``refresh`` deletes it, so a forced or refreshed locale gets its own catalogue. Same catalogues,
same strings: only the look-up is cheaper. The templates' ``_()`` use it too (``register``).
"""

from flask import Flask, g
from flask_babel import get_translations
from flask_babel.speaklater import LazyString


def catalogue():
    """Return the translations of the current locale (Flask-Babel's), found once per request."""
    try:
        state = g._flask_babel
    except (AttributeError, RuntimeError):  # not yet made in this context, or no context at all
        return get_translations()
    found = getattr(state, "babel_translations", None)
    if found is None:
        found = state.babel_translations = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext, with the catalogue found once per request."""
    translated = catalogue().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel.ngettext, with the catalogue found once per request (``num`` is a variable too)."""
    variables.setdefault("num", num)
    return catalogue().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables) -> str:
    """flask_babel.pgettext, with the catalogue found once per request."""
    translated = catalogue().upgettext(context, string)
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables) -> LazyString:
    """flask_babel.lazy_gettext: translated in the locale of the moment it is used."""
    return LazyString(gettext, string, **variables)


def register(app: Flask) -> None:
    """Give the templates' ``_()``, ``ngettext`` and ``pgettext`` the same look-up (after Babel's init_app)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: catalogue().ugettext(string),
        ngettext=lambda singular, plural, num: catalogue().ungettext(singular, plural, num),
        newstyle=True,
        pgettext=lambda context, string: catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, num: catalogue().unpgettext(context, singular, plural, num),
    )
