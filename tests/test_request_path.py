"""What the request path keeps to do less work (issue #14) must never leak between locales or requests."""

from flask import render_template_string
from flask_babel import force_locale, refresh

from web.context import url_with
from web.translate import gettext, ngettext, pgettext
from web.words import distance_text, number


def test_the_catalogue_kept_for_a_request_follows_force_locale_and_refresh(app):
    with app.test_request_context("/?lang=es"):
        assert gettext("Free") == "Gratis"
        with force_locale("fr"):
            assert gettext("Free") == "Gratuit"
            assert render_template_string("{{ _('Free') }}") == "Gratuit"
        assert gettext("Free") == "Gratis"
        assert render_template_string("{{ _('Free') }}") == "Gratis"
        refresh()
        assert gettext("Free") == "Gratis"


def test_the_fast_gettext_formats_like_flask_babel(app):
    import flask_babel

    with app.test_request_context("/?lang=es"):
        assert gettext("%(mi)s mi away", mi="1.5") == flask_babel.gettext("%(mi)s mi away", mi="1.5") == "A 1.5 millas"
        for count in (1, 3):
            assert ngettext("%(num)d doesn't say", "%(num)d don't say", count) == flask_babel.ngettext(
                "%(num)d doesn't say", "%(num)d don't say", count
            )
        assert pgettext("list separator", ", ") == flask_babel.pgettext("list separator", ", ")


def test_numbers_kept_per_locale_are_written_in_each_locale(app):
    with app.test_request_context("/?lang=es&units=km"):
        assert number(1234.56) == "1,234.6"  # es_US
        assert distance_text(1.84) == "1.8 km"
    with app.test_request_context("/?lang=fr&units=km"):
        assert number(1234.56) == "1\u202f234,6"  # no fr_US: French's own
    with app.test_request_context("/?lang=es&units=km"):
        assert number(1234.56) == "1,234.6"


def test_urls_built_once_per_request_are_not_shared_by_two_requests_of_one_app_context(app):
    with app.app_context():
        with app.test_request_context("/search?location=75201"):
            first = url_with(lang="es")
            assert url_with(lang="es") == first
        with app.test_request_context("/search?location=10001"):
            second = url_with(lang="es")
    assert "location=75201" in first
    assert "location=10001" in second
