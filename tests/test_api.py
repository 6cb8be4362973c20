"""/api/v1/search and /api/v1/needs: answers and errors."""

import pytest

from tests.factories import make_service

DALLAS_IMMIGRATION = ["Human Rights Initiative of North Texas", "RAICES", "International Rescue Committee"]


@pytest.mark.seeded
def test_search_75201_lists_the_dallas_immigration_providers_nearest_first(seeded_client):
    answer = seeded_client.get("/api/v1/search?location=75201&need=immigration-legal").get_json()
    assert answer["location"]["query"] == "75201"
    assert answer["location"]["lat"] == pytest.approx(32.79, abs=0.02)
    top = answer["results"][:8]
    names = [r["organization_name"] for r in top]
    for expected in DALLAS_IMMIGRATION:
        assert expected in names
    distances = [r["distance_km"] for r in answer["results"] if r["distance_km"] is not None]
    assert distances == sorted(distances)
    for result in top:
        # A street address gives a distance; a town or ZIP centre gives the town instead.
        if result["location_precision"] == "exact":
            assert result["distance_km"] is not None
            assert result["reasons"][0].endswith("km away")
        else:
            assert result["location_precision"] == "approximate"
            assert result["distance_km"] is None
            assert result["approximate_distance_km"] is not None
            street = result["address"] and result["address"]["address_1"]
            town = f"In {result['town']}"
            assert result["reasons"][0] == (town if street else f"{town} (exact address not listed)")


@pytest.mark.seeded
def test_city_and_state_gives_the_same_top_results_as_the_zip(seeded_client):
    by_zip = seeded_client.get("/api/v1/search?location=75201&need=immigration-legal").get_json()
    by_city = seeded_client.get(
        "/api/v1/search", query_string={"location": "Dallas, TX", "need": "immigration-legal"}
    ).get_json()
    zip_top = {r["organization_name"] for r in by_zip["results"][:8]}
    city_top = {r["organization_name"] for r in by_city["results"][:8]}
    assert set(DALLAS_IMMIGRATION) <= zip_top & city_top


def test_unknown_place_is_a_422_with_a_message(client):
    response = client.get("/api/v1/search?location=zzzz&need=immigration-legal")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["status"] == 422
    assert "find that place" in error["message"]


def test_ambiguous_place_suggests_where_you_may_mean(client):
    response = client.get("/api/v1/search?location=Springfield")
    assert response.status_code == 422
    assert "Springfield, IL" in response.get_json()["error"]["suggestions"]


def test_unknown_need_is_a_400_with_a_message(client):
    response = client.get("/api/v1/search?location=75201&need=nonsense")
    assert response.status_code == 400
    assert "Unknown need" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "need=asylum",  # no location
        "location=75201&radius_km=abc",
        "location=75201&radius_km=0",
        "location=75201&page=0",
        "location=75201&cost=cheap",
        "location=75201&language=spanish!",
        "location=75201&credential=notary",
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, query):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_errors_come_in_the_seekers_language(client):
    response = client.get("/api/v1/search?location=zzzz", headers={"Accept-Language": "es"})
    assert response.status_code == 422
    assert "No encontramos" in response.get_json()["error"]["message"]


def test_results_carry_the_documented_fields(app, client):
    with app.app_context():
        from models.db import get_session

        make_service(
            get_session(),
            name="Clinic",
            needs=["asylum"],
            lat=32.80,
            lon=-96.80,
            languages=["es"],
            cost="free",
            credentials=["doj-recognized"],
            capacity="accepting",
        )
    answer = client.get("/api/v1/search?location=75201&need=asylum&language=es&cost=free").get_json()
    assert answer["total"] == 1
    result = answer["results"][0]
    for field in [
        "service_id",
        "service_name",
        "organization_id",
        "organization_name",
        "distance_km",
        "needs",
        "languages",
        "cost",
        "credentials",
        "capacity",
        "reasons",
    ]:
        assert field in result
    assert result["credentials"][0]["code"] == "doj-recognized"
    assert result["capacity"]["code"] == "accepting"
    assert "Speaks Spanish" in result["reasons"]
    assert "Free" in result["reasons"]
    assert "DOJ-recognized organization" in result["reasons"]


def test_confidential_locations_never_return_an_address(app, client):
    with app.app_context():
        from models.db import get_session

        make_service(
            get_session(),
            name="Safe House",
            needs=["domestic-violence"],
            lat=32.80,
            lon=-96.80,
            confidential=True,
            street="42 Hidden Lane",
            phone="214-555-0199",
            public_phone="800-555-0123",
        )
    response = client.get("/api/v1/search?location=75201&need=victim-support")
    result = response.get_json()["results"][0]
    assert result["confidential_location"] is True
    assert result["address"] is None
    assert result["latitude"] is None
    assert [p["number"] for p in result["phones"]] == ["800-555-0123"]
    assert b"Hidden Lane" not in response.data
    assert b"214-555-0199" not in response.data


def test_needs_returns_the_tree_in_the_requested_language(client):
    english = client.get("/api/v1/needs").get_json()
    spanish = client.get("/api/v1/needs?lang=es").get_json()
    assert [n["code"] for n in english["needs"]] == [
        "immigration-legal",
        "legal-aid",
        "mental-health",
        "victim-support",
        "crisis",
    ]
    assert spanish["language"] == "es"
    assert english["needs"][0]["label"] != spanish["needs"][0]["label"]
    assert "asylum" in [c["code"] for c in english["needs"][0]["children"]]


def test_area_reasons_name_the_state_in_the_seekers_language(app, client):
    with app.app_context():
        from models.db import get_session

        make_service(get_session(), name="NY hotline", needs=["domestic-violence"], areas=[("state", "NY", None)])
    english = client.get("/api/v1/search?location=10001&need=victim-support").get_json()
    spanish = client.get("/api/v1/search?location=10001&need=victim-support&lang=es").get_json()
    assert english["results"][0]["reasons"][0] == "Serves all of New York"
    assert spanish["results"][0]["reasons"][0] == "Atiende en todo Nueva York"


def _add(app, **fields) -> str:
    with app.app_context():
        from models.db import get_session

        return make_service(get_session(), **fields).id


def _names(answer) -> list[str]:
    return [result["organization_name"] for result in answer["results"]]


def test_language_match_says_yes_or_unknown_and_language_strict_keeps_the_yes(app, client):
    _add(app, name="Speaks Spanish", needs=["asylum"], lat=32.85, lon=-96.80, languages=["es"])
    _add(app, name="Says Nothing", needs=["asylum"], lat=32.80, lon=-96.80)
    _add(app, name="English Only", needs=["asylum"], lat=32.80, lon=-96.80, languages=["en"])
    answer = client.get("/api/v1/search?location=75201&need=asylum&language=es").get_json()
    assert _names(answer) == ["Speaks Spanish", "Says Nothing"]
    assert [r["language_match"] for r in answer["results"]] == ["yes", "unknown"]
    assert [r["unknown"] for r in answer["results"]] == [[], ["language"]]
    assert answer["counts"] == {"confirmed": 1, "unknown": 1, "nearby": 2}
    assert "Languages not listed: call to ask" in answer["results"][1]["reasons"]
    for yes in ["true", "y", "1"]:
        strict = client.get(f"/api/v1/search?location=75201&need=asylum&language=es&language_strict={yes}")
        assert _names(strict.get_json()) == ["Speaks Spanish"]
        assert strict.get_json()["query"]["strict"] == ["language"]
    lenient = client.get("/api/v1/search?location=75201&need=asylum&language=es&language_strict=false").get_json()
    assert _names(lenient) == ["Speaks Spanish", "Says Nothing"]
    # Without a language filter nobody is marked.
    assert {r["language_match"] for r in client.get("/api/v1/search?location=75201&need=asylum").get_json()[
        "results"]} == {None}


def test_capacity_credential_and_open_now_have_the_same_tiers_and_strict_parameters(app, client):
    always = [(day, "00:00", "24:00") for day in ("MO", "TU", "WE", "TH", "FR", "SA", "SU")]
    _add(app, name="Says All", needs=["asylum"], lat=32.85, lon=-96.80, capacity="accepting",
         credentials=["attorney"], hours=always)
    _add(app, name="Says Nothing", needs=["asylum"], lat=32.80, lon=-96.80)
    for name, asked in [("accepting", "accepting=y"), ("credential", "credential=attorney"),
                        ("open_now", "open_now=y")]:
        answer = client.get(f"/api/v1/search?location=75201&need=asylum&{asked}").get_json()
        assert _names(answer) == ["Says All", "Says Nothing"], name
        assert [r[f"{name}_match"] for r in answer["results"]] == ["yes", "unknown"], name
        strict = client.get(f"/api/v1/search?location=75201&need=asylum&{asked}&{name}_strict=true").get_json()
        assert _names(strict) == ["Says All"], name


def test_a_town_centre_site_has_no_distance_only_an_approximate_one_and_its_town(app, client):
    _add(app, name="Centre", needs=["asylum"], lat=32.80, lon=-96.80, precision="place", street="")
    _add(app, name="Street", needs=["asylum"], lat=32.85, lon=-96.80, precision="source")
    results = client.get("/api/v1/search?location=75201&need=asylum").get_json()["results"]
    street, centre = results
    assert street["location_precision"] == "exact"
    assert street["distance_km"] is not None
    assert street["approximate_distance_km"] is None
    assert centre["location_precision"] == "approximate"
    assert centre["distance_km"] is None
    assert centre["approximate_distance_km"] == pytest.approx(1.3, abs=0.2)
    assert centre["town"] == "Dallas"
    assert centre["reasons"][0] == "In Dallas (exact address not listed)"


def test_results_say_when_a_listing_was_listed_and_whether_the_organization_confirmed_it(app, client):
    from datetime import date

    _add(app, name="Listed", needs=["asylum"], lat=32.80, lon=-96.80, sources="eoir/pro-bono-providers",
         listed_on=date(2026, 7, 21))
    [result] = client.get("/api/v1/search?location=75201&need=asylum").get_json()["results"]
    assert result["listed"] == {
        "listed_on": "2026-07-21",
        "confirmed_on": None,
        "sources": ["eoir/pro-bono-providers"],
        "text": "Listed from the EOIR pro bono list, July 2026",
    }


def test_thin_answers_carry_ways_on_and_detention_answers_carry_the_official_steps(app, client):
    _add(app, name="Far Detention Help", needs=["detention-bond"], lat=29.42, lon=-98.49)  # San Antonio
    answer = client.get("/api/v1/search?location=78040&need=detention-bond").get_json()
    assert answer["total"] == 0
    assert answer["thin"] is True
    assert answer["ways_on"]["wider"] == {"radius_km": 250, "nearby": 1, "total": 1, "total_capped": False}
    assert answer["ways_on"]["directories"] == [{
        "label": "List of Pro Bono Legal Service Providers (immigration court)",
        "url": "https://www.justice.gov/eoir/list-pro-bono-legal-service-providers",
    }]
    steps = answer["guidance"]["steps"]
    assert [step["code"] for step in steps] == ["find-the-person", "check-the-case", "free-legal-help"]
    assert steps[0]["links"][0]["url"] == "https://locator.ice.gov/odls/"
    assert steps[1]["phones"][0]["number"] == "1-800-898-7180"
    assert all(step["sources"] for step in steps)
    assert "guidance" not in client.get("/api/v1/search?location=78040&need=asylum").get_json()


def test_the_detained_guidance_has_its_own_endpoint_in_the_seekers_language(client):
    english = client.get("/api/v1/guidance/detained").get_json()
    spanish = client.get("/api/v1/guidance/detained?lang=es").get_json()
    assert english["code"] == spanish["code"] == "detained"
    assert english["steps"][0]["title"] == "Find out where they are held"
    assert spanish["steps"][0]["title"] == "Averigüe dónde está detenida la persona"
    assert spanish["steps"][1]["phones"][0]["number"] == "1-800-898-7180"
    for step in english["steps"]:
        for source in step["sources"]:
            assert source["url"].startswith(("https://www.justice.gov/eoir/", "https://locator.ice.gov/",
                                             "https://www.dhs.gov/", "http://eot.us.archive.org/"))


def test_a_search_past_the_cap_says_so_in_the_api_and_on_the_page(app, client, monkeypatch):
    import matching.engine
    from models.db import get_session

    monkeypatch.setattr(matching.engine, "RESULT_CAP", 2)
    with app.app_context():
        for name in ("Alpha", "Beta", "Gamma"):
            make_service(get_session(), name=name, needs=["asylum"], lat=32.80, lon=-96.80)
    answer = client.get("/api/v1/search?location=75201&need=asylum&per_page=1").get_json()
    assert (answer["total"], answer["total_capped"], answer["pages"]) == (2, True, 2)
    assert [r["organization_name"] for r in answer["results"]] == ["Alpha"]
    page = client.get("/search?location=75201&need=asylum&per_page=1").get_data(as_text=True)
    assert "2+ places found" in page
    # A page past the cap is still served: the count then reaches that far.
    assert "3 places found" in client.get("/search?location=75201&need=asylum").get_data(as_text=True)
    monkeypatch.setattr(matching.engine, "RESULT_CAP", 3)
    answer = client.get("/api/v1/search?location=75201&need=asylum&per_page=1").get_json()
    assert (answer["total"], answer["total_capped"]) == (3, False)
