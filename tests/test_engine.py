"""The matching engine: filters, ranking order, reasons, service areas, parents and children."""

from datetime import datetime

import pytest

from matching.engine import Reason, SearchQuery, UnknownNeed, search
from tests.factories import make_service

DALLAS = {"lat": 32.7904, "lon": -96.8044, "state": "TX", "county": "Dallas County", "timezone": "America/Chicago"}


def query(**overrides) -> SearchQuery:
    return SearchQuery(**{**DALLAS, **overrides})


def names(result) -> list[str]:
    return [m.organization_name for m in result.matches]


def test_results_are_nearest_first_with_distances(session):
    make_service(session, name="Far", needs=["asylum"], lat=32.95, lon=-96.80)
    make_service(session, name="Near", needs=["asylum"], lat=32.80, lon=-96.80)
    make_service(session, name="Middle", needs=["asylum"], lat=32.88, lon=-96.80)
    result = search(session, query(need="immigration-legal"))
    assert names(result) == ["Near", "Middle", "Far"]
    distances = [m.distance_km for m in result.matches]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(1.06, abs=0.1)


def test_a_search_for_a_parent_finds_its_children(session):
    make_service(session, name="Asylum clinic", needs=["asylum"], lat=32.80, lon=-96.80)
    make_service(session, name="Counselor", needs=["counseling"], lat=32.80, lon=-96.80)
    result = search(session, query(need="immigration-legal"))
    assert names(result) == ["Asylum clinic"]
    assert result.matches[0].reasons[1].params == {"needs": ["asylum"]}
    assert names(search(session, query(need="mental-health"))) == ["Counselor"]


def test_a_child_search_ranks_specific_help_before_general_help(session):
    make_service(session, name="General immigration", needs=["immigration-legal"], lat=32.80, lon=-96.80)
    make_service(session, name="Asylum clinic", needs=["asylum"], lat=32.90, lon=-96.80)
    make_service(session, name="DACA clinic", needs=["daca"], lat=32.80, lon=-96.80)
    result = search(session, query(need="asylum"))
    assert names(result) == ["Asylum clinic", "General immigration"]
    assert [r.code for r in result.matches[0].reasons][:2] == ["distance", "need"]
    assert "need_general" in [r.code for r in result.matches[1].reasons]


def test_radius_excludes_sites_beyond_it(session):
    make_service(session, name="Fort Worth", needs=["asylum"], lat=32.75, lon=-97.33)
    assert names(search(session, query(need="asylum", radius_km=30))) == []
    assert names(search(session, query(need="asylum", radius_km=60))) == ["Fort Worth"]


def test_a_language_filter_lists_confirmed_speakers_first_then_listings_that_name_no_language(session):
    make_service(session, name="Bilingual", needs=["counseling"], lat=32.85, lon=-96.80, languages=["en", "es"])
    make_service(session, name="English only", needs=["counseling"], lat=32.80, lon=-96.80, languages=["en"])
    make_service(session, name="Unknown", needs=["counseling"], lat=32.80, lon=-96.80)
    result = search(session, query(need="counseling", languages=("es",)))
    # The unknown one is nearer, yet ranks after the confirmed one; the English-only one is left out.
    assert names(result) == ["Bilingual", "Unknown"]
    assert (result.confirmed, result.unknown, result.total) == (1, 1, 2)
    assert [m.unknown for m in result.matches] == [(), ("language",)]
    assert any(r.code == "language" and r.params == {"language": "es"} for r in result.matches[0].reasons)
    assert "language_unknown" in [r.code for r in result.matches[1].reasons]
    # A listing that names no language is no longer taken to speak English: it is unknown.
    english = search(session, query(need="counseling", languages=("en",)))
    assert names(english) == ["English only", "Bilingual", "Unknown"]
    assert english.unknown == 1


def test_a_strict_language_filter_keeps_confirmed_speakers_only(session):
    make_service(session, name="Bilingual", needs=["counseling"], lat=32.85, lon=-96.80, languages=["en", "es"])
    make_service(session, name="Unknown", needs=["counseling"], lat=32.80, lon=-96.80)
    result = search(session, query(need="counseling", languages=("es",), strict=frozenset({"language"})))
    assert names(result) == ["Bilingual"]
    assert (result.confirmed, result.unknown) == (1, 0)


def test_accepting_credential_and_open_now_filters_keep_listings_that_do_not_say_after_the_confirmed(session):
    weekday = [("MO", "09:00", "17:00")]
    make_service(session, name="Says all", needs=["asylum"], lat=32.95, lon=-96.80, capacity="accepting",
                 credentials=["doj-recognized"], hours=weekday)
    make_service(session, name="Says nothing", needs=["asylum"], lat=32.80, lon=-96.80)
    make_service(session, name="Says no", needs=["asylum"], lat=32.80, lon=-96.80, capacity="waitlist",
                 credentials=["attorney"], hours=[("SA", "09:00", "12:00")])
    monday_10_dallas = datetime(2026, 11, 23, 16, 0)
    asked = {"accepting": True, "credentials": ("doj-recognized",), "open_now": True, "now": monday_10_dallas}
    result = search(session, query(need="asylum", **asked))
    assert names(result) == ["Says all", "Says nothing"]
    assert result.matches[1].unknown == ("accepting", "credential", "open_now")
    codes = [r.code for r in result.matches[1].reasons]
    assert {"accepting_unknown", "credential_unknown", "hours_unknown"} <= set(codes)
    for name, overrides in [
        ("accepting", {"accepting": True}),
        ("credential", {"credentials": ("doj-recognized",)}),
        ("open_now", {"open_now": True, "now": monday_10_dallas}),
    ]:
        lenient = search(session, query(need="asylum", **overrides))
        assert names(lenient) == ["Says all", "Says nothing"], name
        assert names(search(session, query(need="asylum", strict=frozenset({name}), **overrides))) == ["Says all"]


def test_fewer_unknowns_rank_first_then_fit_then_distance(session):
    make_service(session, name="Spanish, full", needs=["counseling"], lat=32.95, lon=-96.80, languages=["es"],
                 capacity="not-accepting")
    make_service(session, name="Unknown language, open", needs=["counseling"], lat=32.80, lon=-96.80,
                 capacity="accepting")
    make_service(session, name="Spanish, open", needs=["counseling"], lat=32.98, lon=-96.80, languages=["es"],
                 capacity="accepting")
    make_service(session, name="Unknown language, general", needs=["mental-health"], lat=32.79, lon=-96.80)
    result = search(session, query(need="counseling", languages=("es",)))
    assert names(result) == ["Spanish, open", "Spanish, full", "Unknown language, open", "Unknown language, general"]


def test_an_exact_address_ranks_before_a_town_centre_at_equal_fit_and_the_centre_shows_no_distance(session):
    make_service(session, name="Town centre", needs=["asylum"], lat=32.7905, lon=-96.8044, precision="place")
    make_service(session, name="ZIP centre", needs=["asylum"], lat=32.80, lon=-96.80, precision="zip",
                 city="Irving")
    make_service(session, name="Exact, farther", needs=["asylum"], lat=32.90, lon=-96.80, precision="source")
    make_service(session, name="Exact, full", needs=["asylum"], lat=32.80, lon=-96.80, capacity="not-accepting")
    result = search(session, query(need="asylum"))
    # Fit first (capacity), then exact before a centre, then distance.
    assert names(result) == ["Exact, farther", "Town centre", "ZIP centre", "Exact, full"]
    first, town, zip_centre, _ = result.matches
    assert first.exact
    assert first.reasons[0].code == "distance"
    assert not town.exact
    assert town.reasons[0] == Reason("in_town", {"city": "Dallas", "state": "TX"})
    assert zip_centre.reasons[0] == Reason("in_town", {"city": "Irving", "state": "TX"})
    assert result.nearby == 4


def test_a_confidential_site_never_gives_its_town(session):
    make_service(session, name="Shelter", needs=["domestic-violence"], lat=32.80, lon=-96.80, precision="zip",
                 confidential=True, city="Garland")
    [match] = search(session, query(need="victim-support")).matches
    assert match.city is None
    assert match.reasons[0] == Reason("in_town", {"city": None, "state": "TX"})


def test_ranking_puts_fit_before_distance(session):
    make_service(session, name="Near, full", needs=["counseling"], lat=32.80, lon=-96.80, capacity="not-accepting")
    make_service(session, name="Far, open", needs=["counseling"], lat=32.95, lon=-96.80, capacity="accepting")
    make_service(session, name="Middle, unknown", needs=["counseling"], lat=32.88, lon=-96.80)
    assert names(search(session, query(need="counseling"))) == ["Far, open", "Middle, unknown", "Near, full"]


def test_cost_credential_capacity_and_delivery_filters(session):
    make_service(
        session,
        name="Free DOJ",
        needs=["asylum"],
        lat=32.80,
        lon=-96.80,
        cost="free",
        credentials=["doj-recognized"],
        capacity="accepting",
    )
    make_service(session, name="Sliding", needs=["asylum"], lat=32.80, lon=-96.80, cost="sliding-scale")
    make_service(session, name="Paid", needs=["asylum"], lat=32.80, lon=-96.80, cost="fee", delivery="remote")
    assert names(search(session, query(need="asylum", cost="free"))) == ["Free DOJ"]
    assert sorted(names(search(session, query(need="asylum", cost="sliding-scale")))) == ["Free DOJ", "Sliding"]
    strict = frozenset({"credential", "accepting"})
    assert names(search(session, query(need="asylum", credentials=("doj-recognized",), strict=strict))) == ["Free DOJ"]
    assert names(search(session, query(need="asylum", accepting=True, strict=strict))) == ["Free DOJ"]
    # Without strict, the ones that do not say come after (see the tier tests).
    assert names(search(session, query(need="asylum", accepting=True)))[0] == "Free DOJ"
    assert names(search(session, query(need="asylum", delivery="remote"))) == ["Paid"]
    assert "Paid" not in names(search(session, query(need="asylum", delivery="in-person")))
    reasons = [r.code for r in search(session, query(need="asylum", cost="free")).matches[0].reasons]
    assert reasons == ["distance", "need", "free", "credential", "accepting"]


def test_open_now_uses_the_sites_local_time(session):
    make_service(
        session, name="Weekday office", needs=["asylum"], lat=32.80, lon=-96.80, hours=[("MO", "09:00", "17:00")]
    )
    make_service(session, name="No hours", needs=["asylum"], lat=32.80, lon=-96.80)
    monday_10_dallas = datetime(2026, 11, 23, 16, 0)  # 10:00 in Dallas (UTC-6)
    monday_18_dallas = datetime(2026, 11, 24, 0, 0)
    assert names(search(session, query(need="asylum", open_now=True, now=monday_10_dallas))) == [
        "Weekday office", "No hours"]
    assert names(search(session, query(need="asylum", open_now=True, now=monday_18_dallas))) == ["No hours"]
    strict = frozenset({"open_now"})
    assert names(search(session, query(need="asylum", open_now=True, now=monday_18_dallas, strict=strict))) == []


def test_statewide_and_national_services_match_seekers_anywhere_in_their_area(session):
    make_service(session, name="Texas hotline", needs=["domestic-violence"], areas=[("state", "TX", None)])
    make_service(session, name="Oklahoma hotline", needs=["domestic-violence"], areas=[("state", "OK", None)])
    make_service(session, name="National line", needs=["human-trafficking"], areas=[("national", None, None)])
    make_service(session, name="Dallas County program", needs=["domestic-violence"], areas=[("county", "TX", "Dallas")])
    make_service(session, name="Harris County program", needs=["domestic-violence"], areas=[("county", "TX", "Harris")])
    make_service(session, name="Local shelter", needs=["domestic-violence"], lat=32.80, lon=-96.80)
    result = search(session, query(need="victim-support"))
    assert names(result) == ["Local shelter", "Dallas County program", "Texas hotline", "National line"]
    marked = {m.organization_name: [r.code for r in m.reasons][0] for m in result.matches}
    assert marked["Texas hotline"] == "area_state"
    assert marked["National line"] == "area_national"
    assert marked["Dallas County program"] == "area_county"
    assert all(m.area_only for m in result.matches[1:])
    el_paso = search(session, query(need="victim-support", lat=31.76, lon=-106.49, county="El Paso County"))
    assert names(el_paso) == ["Texas hotline", "National line"]


def test_a_service_is_listed_once_at_its_nearest_site(session):
    service = make_service(session, name="Two offices", needs=["asylum"], lat=32.95, lon=-96.80)
    from matching.index import reindex_services
    from models import Location, ServiceAtLocation

    near = Location(
        organization_id=service.organization_id, latitude=32.80, longitude=-96.80, state="TX",
        geocode_precision="source",
    )
    session.add(near)
    session.flush()
    session.add(ServiceAtLocation(service_id=service.id, location_id=near.id))
    reindex_services(session, [service.id])
    session.commit()
    result = search(session, query(need="asylum"))
    assert result.total == 1
    assert result.matches[0].location_id == near.id


def test_order_is_deterministic_for_ties(session):
    for name in ["Beta", "Alpha", "Gamma"]:
        make_service(session, name=name, needs=["asylum"], lat=32.80, lon=-96.80)
    first = names(search(session, query(need="asylum")))
    assert first == ["Alpha", "Beta", "Gamma"]
    assert names(search(session, query(need="asylum"))) == first


def test_pagination_splits_the_ranked_list(session):
    for index in range(5):
        make_service(session, name=f"Org {index}", needs=["asylum"], lat=32.80 + index * 0.01, lon=-96.80)
    page_two = search(session, query(need="asylum"), page=2, per_page=2)
    assert page_two.total == 5
    assert names(page_two) == ["Org 2", "Org 3"]


def test_unknown_need_is_refused(session):
    with pytest.raises(UnknownNeed):
        search(session, query(need="nonsense"))
