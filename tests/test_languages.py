"""The site's languages: choosing one, the picker, hreflang, direction, staff pages, names, units, reports."""

import re

import pytest
from sqlalchemy import select

from models import ListingReport
from tests.factories import make_service
from web.languages import BY_CODE, SITE_LANGUAGES, site_code

ALL = tuple(language.code for language in SITE_LANGUAGES)


@pytest.fixture
def eleven(make_app):
    """A client of a site offering all eleven languages (catalogue or not: the tests read markup)."""
    return make_app(LANGUAGES=",".join(ALL)).test_client()


def html_lang(page: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', page)
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-Hant", "zh-Hant"), ("zh_TW", "zh-Hant"),
        ("fil", "tl"), ("fil-PH", "tl"), ("tl", "tl"), ("es-MX", "es"), ("pt-BR", "pt"), ("ar-EG", "ar"),
        ("ht", "ht"), ("ko-KR", "ko"), ("de", None), ("", None),
    ],
)  # fmt: skip
def test_language_tags_map_onto_the_sites_codes(tag, code):
    assert site_code(tag) == code


@pytest.mark.parametrize(
    ("header", "expected"),
    [("zh-CN,zh;q=0.9", "zh-Hans"), ("zh-TW", "zh-Hant"), ("fil-PH", "tl"), ("de-DE,ar;q=0.5", "ar"),
     ("vi-VN", "vi"), ("de", "en")],
)  # fmt: skip
def test_the_browsers_preference_picks_the_language(eleven, header, expected):
    page = eleven.get("/privacy", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page)[0] == expected


def test_lang_parameter_beats_the_cookie_which_beats_the_browser(eleven):
    eleven.set_cookie("lang", "ko")
    assert html_lang(eleven.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True))[0] == "ko"
    assert html_lang(eleven.get("/?lang=fr", headers={"Accept-Language": "vi"}).get_data(as_text=True))[0] == "fr"


def test_arabic_pages_are_right_to_left_and_the_others_left_to_right(eleven):
    for code in ALL:
        lang, direction = html_lang(eleven.get(f"/?lang={code}").get_data(as_text=True))
        assert lang == code
        assert direction == ("rtl" if code == "ar" else "ltr")


def test_the_picker_names_each_language_in_its_own_script_and_hreflang_lists_all_eleven(eleven):
    page = eleven.get("/privacy?lang=es").get_data(as_text=True)
    for language in SITE_LANGUAGES:
        assert f'hreflang="{language.code}" href="/privacy?lang={language.code}"' in page
        assert f'lang="{language.code}"' in page
        assert f">{language.name}<" in page
    assert 'hreflang="x-default" href="/privacy"' in page
    for own in ("简体中文", "繁體中文", "Tiếng Việt", "한국어", "العربية", "Kreyòl ayisyen"):
        assert own in page
    # One compact control (details/summary), not eleven links across the first screen.
    assert re.search(r'<details class="langs">\s*<summary>', page)


@pytest.mark.parametrize("code", ["zh-Hant", "tl", "ar"])
def test_picking_a_language_keeps_it_in_the_cookie(eleven, code):
    response = eleven.get(f"/language/{code}?next=/privacy")
    assert response.status_code == 302
    assert f"lang={code}" in response.headers["Set-Cookie"]
    assert html_lang(eleven.get("/privacy").get_data(as_text=True))[0] == code


def test_a_language_the_site_does_not_offer_is_not_found(client):
    assert client.get("/language/de").status_code == 404


def test_languages_default_to_the_catalogues_present(app):
    assert app.config["LANGUAGES"][:2] == ("en", "es")
    for code in app.config["LANGUAGES"][1:]:
        assert (app.root_path + f"/translations/{BY_CODE[code].locale}/LC_MESSAGES/messages.po")


def test_staff_pages_speak_only_the_staff_languages(eleven):
    page = eleven.get("/account/login?lang=ar").get_data(as_text=True)
    assert html_lang(page) == ("en", "ltr")
    assert 'hreflang="ar"' not in page
    spanish = eleven.get("/account/login?lang=es").get_data(as_text=True)
    assert html_lang(spanish)[0] == "es"


def test_staff_languages_are_a_setting(make_app):
    client = make_app(LANGUAGES="en,es,fr", STAFF_LANGUAGES="en,es,fr").test_client()
    assert html_lang(client.get("/account/login?lang=fr").get_data(as_text=True))[0] == "fr"


def test_catalogue_folders_are_the_ones_babel_finds():
    from web.languages import TRANSLATIONS_DIR

    folders = {path.name for path in TRANSLATIONS_DIR.iterdir() if path.is_dir()}
    # Babel reads "tl" as fil_PH and zh-CN as zh_Hans_CN: only these folder names are ever loaded.
    assert folders <= {language.locale for language in SITE_LANGUAGES}, folders


@pytest.fixture
def dallas(app):
    with app.app_context():
        from models.db import get_session

        service = make_service(
            get_session(), name="Hmong Family Legal", needs=["u-visa"], lat=32.80, lon=-96.80,
            languages=["hmn", "en"], cost="free",
        )  # fmt: skip
        return service.id


def test_hmong_is_named_in_the_readers_language(client, dallas):
    english = client.get("/search?location=75201&need=u-visa").get_data(as_text=True)
    spanish = client.get("/search?location=75201&need=u-visa&lang=es").get_data(as_text=True)
    assert "<dd>English, Hmong</dd>" in english
    assert "<dd>inglés, hmong</dd>" in spanish
    assert "hmn" not in re.sub(r'value="hmn"', "", english)


def test_the_gloss_of_each_legal_term_is_on_its_chip_and_in_the_api(client, dallas):
    page = client.get("/search?location=75201&need=u-visa").get_data(as_text=True)
    assert "For victims of certain crimes who help the police." in page
    spanish = client.get("/search?location=75201&need=u-visa&lang=es").get_data(as_text=True)
    assert "Para víctimas de ciertos delitos que ayudan a la policía." in spanish
    needs = client.get("/api/v1/needs?lang=es").get_json()["needs"]
    immigration = next(need for need in needs if need["code"] == "immigration-legal")
    glosses = {child["code"]: child["gloss"] for child in immigration["children"]}
    assert glosses["u-visa"] == "Para víctimas de ciertos delitos que ayudan a la policía."
    assert all(glosses.values())


def test_us_readers_see_miles_and_a_unit_switch_in_the_url(client, dallas):
    page = client.get("/search?location=75201&need=u-visa", headers={"Accept-Language": "en-US"})
    text = page.get_data(as_text=True)
    assert re.search(r"<bdi>\d+(\.\d)? mi</bdi>", text)
    assert 'name="radius_mi"' in text
    for miles in (5, 10, 25, 50, 100):
        assert f"Within {miles} miles" in text
    assert "units=km" in text
    assert page.headers.get("Set-Cookie") is None
    metric = client.get("/search?location=75201&need=u-visa&units=km").get_data(as_text=True)
    assert re.search(r"<bdi>\d+(\.\d)? km</bdi>", metric)
    assert 'name="radius_km"' in metric
    assert '<input type="hidden" name="units" value="km">' in metric


def test_a_browser_from_a_kilometre_country_sees_km(client, dallas):
    text = client.get("/search?location=75201&need=u-visa", headers={"Accept-Language": "es-MX"}).get_data(
        as_text=True
    )
    assert re.search(r"<bdi>\d+(,\d|\.\d)? km</bdi>", text)


def test_the_api_keeps_km_and_adds_miles(client, dallas):
    result = client.get("/api/v1/search?location=75201&need=u-visa").get_json()["results"][0]
    assert result["distance_km"] is not None
    assert result["distance_mi"] == round(result["distance_km"] / 1.609344, 1) or abs(
        result["distance_mi"] - result["distance_km"] / 1.609344
    ) < 0.1
    by_miles = client.get("/api/v1/search?location=75201&need=u-visa&radius_mi=25").get_json()
    assert by_miles["query"]["radius_km"] == pytest.approx(40.234, abs=0.01)


def test_use_my_location_titles_results_with_the_nearest_town(client, dallas):
    page = client.get("/search?location=32.79,-96.80&need=u-visa").get_data(as_text=True)
    assert "near Dallas, TX" in page
    assert "32.79" not in page.split("<main", 1)[1].split("</h1>", 1)[0]


def test_titles_never_name_the_place_or_the_need(client, dallas):
    for url in ("/search?location=75201&need=u-visa", f"/provider/{dallas}"):
        title = re.search(r"<title>(.*?)</title>", client.get(url).get_data(as_text=True)).group(1)
        for secret in ("Dallas", "75201", "U visa", "Hmong Family Legal", "visa"):
            assert secret not in title, (url, title)


def test_victim_support_searches_turn_on_clear_on_exit(client, dallas):
    assert 'data-sensitive="1"' in client.get("/search?location=75201&need=domestic-violence").get_data(as_text=True)
    assert 'data-sensitive="1"' not in client.get("/search?location=75201&need=u-visa").get_data(as_text=True)
    assert 'id="clear-on-exit"' in client.get("/my-list").get_data(as_text=True)


def test_every_page_links_to_report_a_translation_problem_with_its_page_and_language(client):
    page = client.get("/privacy?lang=es").get_data(as_text=True)
    assert 'href="/report/translation?page=/privacy&amp;lang=es"' in page


def test_a_translation_report_keeps_the_page_path_and_language_and_nothing_else(app, client):
    form = client.get("/report/translation?page=/search&lang=es").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert 'action="/report/translation?lang=es"' in form
    response = client.post(
        "/report/translation?lang=es",
        data={"csrf_token": token, "page": "/search?location=75201&need=asylum", "language": "es",
              "message": "«Salida rápida» se corta."},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Recibimos su aviso" in response.get_data(as_text=True)
    with app.app_context():
        from models.db import get_session

        report = get_session().execute(select(ListingReport)).scalar_one()
    assert (report.kind, report.page, report.language, report.service_id) == ("translation", "/search", "es", None)
    assert "75201" not in repr(report.model_dump())


def test_an_empty_translation_report_is_refused_in_the_readers_language_and_saves_nothing(app, client):
    form = client.get("/report/translation?page=/&lang=es").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/report/translation?lang=es", data={"csrf_token": token, "page": "/", "message": " "})
    assert response.status_code == 400
    assert "Díganos qué está mal" in response.get_data(as_text=True)
    with app.app_context():
        from models.db import get_session

        assert get_session().execute(select(ListingReport)).first() is None


@pytest.mark.parametrize("page", ["//evil.example/", "/\\evil.example", "https://evil.example/x"])
def test_the_translation_reports_cancel_link_never_leaves_the_site(client, page):
    html = client.get("/report/translation", query_string={"page": page}).get_data(as_text=True)
    links = re.findall(r'<a [^>]*href="([^"]*)"', html.split('<form class="card"')[1].split("</form>")[0])
    assert all(link.startswith("/") and not link.startswith(("//", "/\\")) for link in links), links
    assert not any("evil" in link for link in links)


def test_a_300_character_place_is_refused_in_the_readers_language(client):
    place = "a" * 300
    page = client.get("/search", query_string={"location": place, "lang": "es"})
    assert page.status_code == 400
    assert "El lugar es demasiado largo" in page.get_data(as_text=True)
    answer = client.get("/api/v1/search", query_string={"location": "75201", "radius_km": "x", "lang": "es"})
    assert answer.status_code == 400
    assert "Field" not in answer.get_data(as_text=True)
    assert "Not a valid" not in answer.get_json()["error"]["message"]


@pytest.mark.parametrize(("client_language", "slip"), [("zh", "zh_Hans"), ("tl", "fil"), ("ar", "ar"), ("hmn", "en")])
def test_the_slip_is_printed_in_the_clients_language_when_the_site_speaks_it(make_app, client_language, slip):
    from referrals.slip import slip_language

    app = make_app(LANGUAGES=",".join(ALL))
    with app.test_request_context("/"):
        assert slip_language(client_language) == slip


@pytest.mark.parametrize("locale", ["ht", "fil"])
def test_haitian_creole_and_tagalog_name_days_and_languages_from_our_catalogue(app, locale):
    """Babel names them in French (ht) or English (fil); our catalogue's words are used instead."""
    from flask_babel import force_locale

    from web.words import DAY_NAMES, LANGUAGE_NAMES, day_names, language_label

    with app.test_request_context("/"), force_locale(locale):
        assert day_names()["MO"] != "lundi"
        assert day_names() == {code: str(name) for code, name in DAY_NAMES.items()}
        assert language_label("es") == str(LANGUAGE_NAMES["es"])
        assert language_label("es") != "espagnol"
