"""`flask data audit`: each check finds what it names, on small fixtures and on the bundled data."""

import pytest
from sqlalchemy import select

from models import Location, Organization, ServiceAtLocation
from seed.audit import audit, suspicious_name
from tests.factories import make_service

DALLAS = (32.7883, -96.7996)


def counts(session) -> dict[str, list[str]]:
    return {check.code: check.ids for check in audit(session)}


def service_key(session, service) -> str:
    return session.get(Organization, service.organization_id).source_key or service.id


def test_a_clean_service_is_in_no_check(session):
    make_service(session, name="Human Rights Initiative", needs=["asylum"], lat=DALLAS[0], lon=DALLAS[1])
    assert all(ids == [] for ids in counts(session).values())


def test_a_service_with_no_need_is_counted(session):
    service = make_service(session, name="Food Pantry", needs=[], lat=DALLAS[0], lon=DALLAS[1])
    assert counts(session)["no-need"] == [service_key(session, service)]


def test_a_service_with_no_phone_email_website_or_street_has_no_way_to_contact_it(session):
    reachable = make_service(session, name="Walk In", needs=["asylum"], lat=DALLAS[0], lon=DALLAS[1], phone=None)
    lost = make_service(
        session, name="Nowhere", needs=["asylum"], lat=DALLAS[0] + 1, lon=DALLAS[1], phone=None, street=""
    )
    found = counts(session)["no-contact"]
    assert service_key(session, lost) in found
    assert service_key(session, reachable) not in found  # its street is a way to reach it


def test_an_unplaced_service_is_counted(session):
    service = make_service(session, name="Somewhere", needs=["asylum"])
    service.placement = "unplaced"
    session.commit()
    assert counts(session)["unplaced"] == [service_key(session, service)]


def test_a_service_placed_only_at_a_town_centre_is_counted(session):
    service = make_service(session, name="Centre", needs=["asylum"], lat=DALLAS[0], lon=DALLAS[1])
    location = session.execute(
        select(Location).join(ServiceAtLocation).where(ServiceAtLocation.service_id == service.id)
    ).scalar_one()
    location.geocode_precision = "place"
    session.commit()
    assert counts(session)["centroid"] == [service_key(session, service)]


def test_a_service_area_in_another_state_than_the_address_contradicts_it(session):
    service = make_service(
        session, name="Rights Center", needs=["asylum"], lat=DALLAS[0], lon=DALLAS[1], areas=[("state", "NY", None)]
    )
    assert counts(session)["area-contradicts-address"] == [service_key(session, service)]


def test_a_statewide_area_the_name_contradicts_is_counted_even_without_a_site(session):
    service = make_service(
        session, name="Coalition for Humane Immigrant Rights of L.A.", needs=["asylum"], areas=[("state", "NY", None)]
    )
    assert counts(session)["area-contradicts-address"] == [service_key(session, service)]


def test_the_same_provider_twice_with_one_phone_and_name_is_a_duplicate_candidate(session):
    first = make_service(session, name="International Rescue Committee", needs=["asylum"], lat=32.8313, lon=-96.7712)
    second = make_service(
        session, name="International Rescue Committee (IRC)", needs=["asylum"], lat=32.79333, lon=-96.76651, street=""
    )
    other = make_service(session, name="Another Clinic", needs=["asylum"], lat=32.7, lon=-96.7)
    found = counts(session)["duplicate"]
    assert set(found) == {service_key(session, first), service_key(session, second)}
    assert service_key(session, other) not in found


def test_a_chain_s_sites_at_their_own_streets_are_not_duplicates(session):
    make_service(session, name="Metro Clinic", needs=["counseling"], lat=32.80, lon=-96.80, street="1 Elm St")
    make_service(session, name="Metro Clinic", needs=["counseling"], lat=32.95, lon=-96.70, street="9 Oak St")
    assert counts(session)["duplicate"] == []


def test_the_same_name_within_1_km_is_a_duplicate_candidate_whatever_the_phones(session):
    make_service(session, name="Casa Amiga", needs=["domestic-violence"], lat=32.8000, lon=-96.8000, phone="1")
    make_service(session, name="Casa Amiga", needs=["domestic-violence"], lat=32.8030, lon=-96.8000, phone="2")
    assert len(counts(session)["duplicate"]) == 2


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("created by Pro Bono Net and the Immigrant Advocates Network", "a sentence, not a name"),
        ("Currently, no program is operating. Please contact programs nearby.", "a sentence, not a name"),
        ("Executive Office for Immigration Review (EOIR)", "immigration court"),
        ("U.S. Immigration and Customs Enforcement", "immigration enforcement agency"),
        ("VLP of the Boston Bar Assoc. - Main Office", None),
        ("Serving Children and Adults in Need", None),
        ("Orleans County Dept. of Social Services", None),
        ("resolve Crisis Services", None),
    ],
)
def test_suspicious_names_are_sentences_and_government_bodies(name, reason):
    assert suspicious_name(name) == reason


def test_a_suspicious_name_is_counted(session):
    service = make_service(session, name="Executive Office for Immigration Review", needs=["asylum"], lat=32.8, lon=-97)
    assert counts(session)["suspicious-name"] == [service_key(session, service)]


def test_the_audit_command_prints_each_count_with_examples(runner, session):
    make_service(session, name="Food Pantry", needs=[], lat=DALLAS[0], lon=DALLAS[1])
    result = runner.invoke(args=["data", "audit"])
    lines = result.output.splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("services with no need: 1 (e.g. ")
    assert "duplicate candidates (same phone and name, or same name within 1 km): 0" in lines


# -- the bundled data: every count is 0 or explained in data/README.md ----------------------------


@pytest.fixture(scope="module")
def bundle_audit(seeded_database):
    from sqlmodel import Session

    with Session(seeded_database.engine) as session:
        return {check.code: check.ids for check in audit(session)}


@pytest.mark.seeded
@pytest.mark.parametrize("code", ["area-contradicts-address", "duplicate", "suspicious-name"])
def test_the_bundle_has_no_contradicting_area_duplicate_or_suspicious_name(bundle_audit, code):
    assert bundle_audit[code] == []


@pytest.mark.seeded
def test_the_bundle_s_unplaced_services_are_the_ones_data_readme_explains(bundle_audit):
    tribal = [key for key in bundle_audit["unplaced"] if key not in EXPLAINED_UNPLACED]
    assert len(tribal) == 114  # FVPSA tribal grantees: the ACF list gives a name and a state only
    assert set(EXPLAINED_UNPLACED) <= set(bundle_audit["unplaced"])


EXPLAINED_UNPLACED = ("ny/coalition-for-humane-immigrant-rights-of-l-a", "ny/legal-services-of-new-jersey")


@pytest.mark.seeded
def test_the_bundle_s_services_with_no_need_list_only_categories_outside_the_directory(bundle_audit):
    from seed.convert import CATEGORY_NEEDS
    from seed.load import read_bundles

    bundles = {bundle["key"]: bundle for bundle in read_bundles()}
    no_need = [bundles[key] for key in bundle_audit["no-need"]]
    assert all(not set(b["services"][0]["source_categories"]) & set(CATEGORY_NEEDS) for b in no_need)
    # Catholic Charities agencies: the CCUSA locator lists family and financial help only.
    assert sum("ccusa/agency-locator" in b["sources"] for b in no_need) >= 140


@pytest.mark.seeded
def test_the_bundle_s_figures_are_the_ones_in_data_readme(bundle_audit):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "data" / "README.md").read_text(encoding="utf-8")
    for code, ids in bundle_audit.items():
        assert f"| {code} |" in readme, code
        row = next(line for line in readme.splitlines() if line.startswith(f"| {code} |"))
        assert row.split("|")[4].strip() == f"{len(ids):,}", (code, row)


README_ROWS = {
    "no-need": "services with no need",
    "no-contact": "no way to contact them",
    "unplaced": "unplaced",
    "centroid": "placed only at a town or ZIP centre",
    "area-contradicts-address": "service area contradicts the address",
    "duplicate": "duplicate candidates",
    "suspicious-name": 'suspicious names (sentences, "created by", agencies, courts)',
}


@pytest.mark.seeded
def test_the_bundle_s_figures_are_the_ones_in_the_main_readme(bundle_audit):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert set(README_ROWS) == set(bundle_audit)
    for code, ids in bundle_audit.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {README_ROWS[code]} |"))
        assert row.split("|")[3].strip() == f"{len(ids):,}", (code, row)
