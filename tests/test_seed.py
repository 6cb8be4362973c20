"""The bundled real data: mapping onto the taxonomy, placement, nothing dropped, idempotent load."""

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matching.needs import get_taxonomy
from models import Address, Location, Organization, SearchEntry, Service
from seed.convert import (
    clean_street,
    is_confidential,
    record_cost,
    record_credentials,
    record_needs,
    record_schedules,
    screen,
)
from seed.load import load_providers, read_bundles

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seed-data"


def test_eoir_records_map_to_removal_defense_and_general_immigration_help_free_with_the_pro_bono_credential():
    record = {
        "categories": ["legal-aid", "immigration-legal"],
        "sources": ["eoir/pro-bono-providers"],
        "name": "Human Rights Initiative of North Texas",
    }
    # General immigration legal help stays: someone asking for asylum finds them too, after specialists.
    assert record_needs(record, get_taxonomy()) == ["immigration-legal", "removal-defense"]
    assert record_cost(record) == "free"
    assert record_credentials(record) == ["eoir-pro-bono"]


def test_lsc_offices_map_to_the_civil_legal_problems_they_handle():
    record = {"categories": ["legal-aid"], "sources": ["lsc/office-locations"], "name": "Main Office"}
    needs = record_needs(record, get_taxonomy())
    assert needs == ["consumer-debt", "family-law", "housing-law", "legal-aid", "public-benefits"]


def test_samhsa_service_labels_map_to_kinds_of_care():
    record = {
        "categories": ["su-treatment", "mh-treatment"],
        "sources": ["samhsa/findtreatment"],
        "name": "Clinic",
        "services": [
            "Outpatient",
            "Clients who have experienced trauma",
            "Clients who have experienced intimate partner violence, domestic violence",
        ],
    }
    needs = record_needs(record, get_taxonomy())
    assert needs == ["counseling", "substance-use", "trauma-therapy"]
    assert "domestic-violence" not in needs  # treating survivors does not make a clinic a DV program


def test_keywords_add_children_only_under_needs_the_record_already_has():
    taxonomy = get_taxonomy()
    legal = {
        "categories": ["immigration-legal"],
        "sources": ["lawhelpny/org-directory"],
        "name": "X",
        "description": "Free help with asylum, DACA and citizenship applications.",
    }
    assert {"asylum", "daca"} <= set(record_needs(legal, taxonomy))
    clinic = {
        "categories": ["mental-health"],
        "sources": ["mha/affiliate-pages"],
        "name": "Y",
        "description": "Counseling for asylum seekers.",
    }
    assert "asylum" not in record_needs(clinic, taxonomy)


def test_out_of_scope_categories_map_to_no_need():
    record = {"categories": ["food-pantry"], "sources": ["salvationarmy/location-finder"], "name": "Pantry"}
    assert record_needs(record, get_taxonomy()) == []


def test_shelters_without_a_street_are_confidential():
    assert is_confidential({"categories": ["domestic-violence"], "address": {"city": "Austin", "state": "tx"}})
    assert not is_confidential({"categories": ["domestic-violence"], "address": {"street": "1 Main St"}})
    assert not is_confidential({"categories": ["legal-aid"], "address": {"city": "Austin"}})


def test_office_labels_run_into_a_street_are_dropped():
    assert clean_street("Houston Office:, 6001 Savoy Drive, Suite 400") == "6001 Savoy Drive, Suite 400"
    assert clean_street("17 Hodskin St : P.O. Box 648") == "17 Hodskin St : P.O. Box 648"


def test_24_7_in_the_description_becomes_hours():
    schedules = record_schedules({"description": "Warmline (non-crisis peer support). Hours: 24/7."})
    assert schedules == [
        {
            "byday": "MO,TU,WE,TH,FR,SA,SU",
            "opens_at": "00:00",
            "closes_at": "24:00",
            "description": "Open 24 hours, every day",
        }
    ]


@pytest.fixture(scope="module")
def bundles():
    return list(read_bundles())


def _seed_ids(name: str) -> tuple[set[str], set[str]]:
    """Return the ids of a seed file's providers, and of the records left out (agencies, courts, sentences)."""
    records = [json.loads(line) for line in (SEED_DIR / name).read_text().splitlines()]
    left_out = {record_id for record_id, _reason in screen(records)[1]}
    return {r["id"] for r in records} - left_out, left_out


def test_the_bundle_keeps_every_seed_provider_and_leaves_out_agencies_courts_and_sentences(bundles):
    if not SEED_DIR.exists():
        pytest.skip("../shared/seed-data is not beside this checkout")
    org_keys, left_out_orgs = _seed_ids("organizations.jsonl")
    site_keys, left_out_sites = _seed_ids("sites.jsonl")
    bundle_keys = {b["key"] for b in bundles}
    location_keys = {loc["key"] for b in bundles for loc in b["locations"]}
    merged_keys = {key for b in bundles for key in b.get("merged_keys", [])}
    assert org_keys <= bundle_keys | merged_keys
    assert site_keys <= location_keys | merged_keys
    assert "ny/executive-office-for-immigration-review-eoir" in left_out_orgs
    assert "ny/created-by-pro-bono-net-and-the-immigrant-advoca" in left_out_orgs
    assert not (left_out_orgs | left_out_sites) & (bundle_keys | location_keys | merged_keys)


def test_the_bundle_places_almost_everything_and_flags_the_rest(bundles):
    precision = Counter(loc["precision"] for b in bundles for loc in b["locations"])
    placed = sum(n for p, n in precision.items() if p != "none")
    assert placed / sum(precision.values()) > 0.99
    placements = Counter(s["placement"] for b in bundles for s in b["services"])
    assert set(placements) <= {"placed", "area-only", "unplaced"}
    assert placements["placed"] > 13500


def test_no_confidential_location_keeps_a_street(bundles):
    confidential = [loc for b in bundles for loc in b["locations"] if loc["confidential"]]
    assert confidential
    assert all(not loc["address"]["address_1"] for loc in confidential)


def test_dallas_immigration_providers_are_placed_from_their_zip(bundles):
    hri = next(b for b in bundles if b["key"] == "tx/human-rights-initiative-of-north-texas")
    location = hri["locations"][0]
    assert location["precision"] == "zip"
    assert location["state"] == "TX"
    assert location["county"] == "Dallas County"
    assert hri["services"][0]["needs"] == ["immigration-legal", "removal-defense"]


def test_every_bundle_need_is_in_the_taxonomy(bundles):
    taxonomy = get_taxonomy()
    codes = Counter(code for b in bundles for s in b["services"] for code in s["needs"])
    assert set(codes) <= set(taxonomy.needs)
    for top in ["immigration-legal", "legal-aid", "mental-health", "victim-support", "crisis"]:
        family = {top, *taxonomy.descendants(top)}
        assert sum(n for code, n in codes.items() if code in family) > 50, top


def test_loading_twice_adds_nothing(session):
    sample = [b for b in read_bundles() if b["key"].startswith("tx/")][:200]
    first = load_providers(session, sample)
    session.commit()
    counts = {
        model: session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Organization, Service, Location, Address, SearchEntry)
    }
    second = load_providers(session, sample)
    session.commit()
    assert first["organizations"] == 200
    assert second == {"organizations": 0, "locations": 0, "services": 0, "skipped": 200}
    for model, count in counts.items():
        assert session.execute(select(func.count()).select_from(model)).scalar_one() == count


def test_seed_command_loads_and_is_idempotent(runner, tmp_path):
    sample = [b for b in read_bundles() if b["key"].startswith("vt/")][:20]
    path = tmp_path / "providers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for bundle in sample:
            handle.write(json.dumps(bundle) + "\n")
    first = runner.invoke(args=["seed", "--file", str(path)])
    assert "Added 20 organizations" in first.output
    again = runner.invoke(args=["seed", "--file", str(path)])
    assert "Added 0 organizations" in again.output
    assert "20 were already there" in again.output
    skipped = runner.invoke(args=["seed", "--if-empty", "--file", str(path)])
    assert "already has data" in skipped.output


@pytest.mark.seeded
def test_seeded_directory_has_every_organization_and_no_address_for_confidential_sites(seeded_session):
    count = seeded_session.execute(select(func.count()).select_from(Organization)).scalar_one()
    assert count >= 3553
    leaks = seeded_session.execute(
        select(func.count())
        .select_from(Address)
        .join(Location, Location.id == Address.location_id)
        .where(Location.confidential.is_(True), Address.address_1 != "")
    ).scalar_one()
    assert leaks == 0


def test_a_seeded_listing_keeps_its_list_date_apart_and_counts_as_never_confirmed(app, session):
    from datetime import timedelta

    from accounts.users import create_user
    from listings.edits import confirm_listing
    from listings.staleness import stale_services
    from models.base import today

    bundle = next(b for b in read_bundles() if b["key"] == "tx/human-rights-initiative-of-north-texas")
    load_providers(session, [bundle])
    session.commit()
    service = session.execute(select(Service)).scalar_one()
    assert (service.assured_date, str(service.listed_on)) == (None, bundle["services"][0]["listed_on"])
    org_id = service.organization_id
    user = create_user(session, email="o@example.org", password="a long password", role="ngo", organization_id=org_id)
    assert [s.id for s, _org in stale_services(session, stale_after=timedelta(days=180))] == [service.id]
    with app.app_context():
        confirm_listing(session, user=user, service_id=service.id)
    session.expire_all()
    assert session.get(Service, service.id).assured_date == today()
    assert stale_services(session, stale_after=timedelta(days=180)) == []


def test_refresh_reloads_untouched_seeded_organizations_and_keeps_edited_and_claimed_ones(session):
    from accounts.users import create_user
    from models import Phone
    from models.base import stable_id
    from seed.refresh import refresh_providers

    sample = [b for b in read_bundles() if b["key"].startswith("vt/") and b["phones"]][:4]
    assert len(sample) == 4
    load_providers(session, sample)
    session.commit()
    edited, claimed, changed, dropped = (stable_id("organization", b["key"]) for b in sample)
    session.get(Organization, edited).version = 2  # an organization's edit bumps the version
    session.commit()
    create_user(session, email="o@example.org", password="a long password", role="ngo", organization_id=claimed)
    new = [json.loads(json.dumps(b)) for b in sample[:3]]
    for bundle in new:
        bundle["phones"][0]["number"] = "802-555-0199"
    done = refresh_providers(session, new)
    session.commit()
    assert done == {"refreshed": 1, "added": 0, "removed": 1, "kept": 2}
    numbers = {
        org_id: {p.number for p in session.execute(select(Phone).where(Phone.organization_id == org_id)).scalars()}
        for org_id in (edited, claimed, changed)
    }
    assert numbers[changed] == {"802-555-0199"}
    assert "802-555-0199" not in numbers[edited] | numbers[claimed]
    assert session.get(Organization, dropped) is None
    assert session.execute(select(func.count()).select_from(SearchEntry)).scalar_one() > 0


def test_seed_refresh_command_says_what_it_did(runner, tmp_path):
    sample = [b for b in read_bundles() if b["key"].startswith("vt/")][:5]
    path = tmp_path / "providers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for bundle in sample:
            handle.write(json.dumps(bundle) + "\n")
    runner.invoke(args=["seed", "--file", str(path)])
    result = runner.invoke(args=["seed", "--refresh", "--file", str(path)])
    assert "Reloaded 5 untouched organizations, added 0, removed 0" in result.output
