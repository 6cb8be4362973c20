"""Every seeker page answers in each of the eleven languages, in that language, with real dates and names.

The catalogues are tested for completeness elsewhere; this renders them: a translation or a locale that
breaks formatting (a date, a distance, a language name) fails here, not in front of a reader.
"""

import re
from datetime import date

import pytest

from tests.factories import make_service
from web.languages import SITE_LANGUAGES

ALL = [language.code for language in SITE_LANGUAGES]


@pytest.fixture
def site(make_app, session):
    spanish = make_service(
        session, name="Alpha Legal", needs=["asylum"], lat=32.79, lon=-96.80, languages=["es", "am", "hmn"],
        cost="free", hours=[("MO", "09:00", "17:00")], sources="eoir/pro-bono-providers",
        listed_on=date(2026, 7, 1), assured_date=date(2026, 9, 15),
    )
    session.commit()
    codes = ",".join(ALL)
    return make_app(LANGUAGES=codes).test_client(), spanish.id


@pytest.mark.parametrize("code", ALL)
def test_each_seeker_page_answers_in_the_language(site, code):
    client, service_id = site
    pages = ["/", "/search?location=75201&need=asylum&language=es", f"/provider/{service_id}", "/privacy",
             "/help/credentials", "/help/detained", "/my-list", "/referral/status", "/report/translation?page=/",
             f"/provider/{service_id}/report", "/search?location=75201&need=asylum&view=map"]
    for path in pages:
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}lang={code}")
        assert response.status_code == 200, (code, path, response.status_code)
        html = response.get_data(as_text=True)
        assert re.search(rf'<html lang="{re.escape(code)}"', html), (code, path)
    provider = client.get(f"/provider/{service_id}?lang={code}").get_data(as_text=True)
    assert "2026" in provider  # the listed and confirmed dates, formatted in the language


@pytest.mark.parametrize("code", [c for c in ALL if c != "en"])
def test_no_language_shows_the_english_words_of_the_start_page(site, code):
    client, _service_id = site
    html = client.get(f"/?lang={code}").get_data(as_text=True)
    for english in ("Find help near you", "Where are you?", "What do you need?", "Quick exit"):
        assert english not in html, (code, english)


@pytest.mark.parametrize(("code", "separator"), [("en", ", "), ("zh-Hans", "、"), ("ar", "، ")])
def test_lists_are_joined_the_way_the_language_writes_them(site, code, separator):
    client, _service_id = site
    html = client.get(f"/search?location=75201&need=asylum&language=es&lang={code}").get_data(as_text=True)
    languages = re.findall(r"<dd>([^<]*)</dd>", html[html.index("Alpha Legal"):])[1]  # Helps with, Languages
    assert separator in languages, languages
