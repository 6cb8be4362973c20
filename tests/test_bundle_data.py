"""The committed bundle tells the truth: every number is the provider's own, places and areas come
from the records, dates are what they are, and government agencies and courts are not providers.

These run on committed files only (CI has no seed folder); the tests that compare the bundle with
the seed records themselves are skipped when ../shared/seed-data is absent.
"""

import csv
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from matching.screening import government_reason
from seed.convert import DIGEST_NAME, phone_digest, screen
from seed.load import PROVIDERS_FILE, read_bundles
from seed.phones import LIFELINE_SOURCE, digits

DATA_DIR = PROVIDERS_FILE.parent
SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seed-data"
PHONE_TYPES = {"voice", "hotline", "text", "sms", "fax"}
IMMIGRATION_LEGAL_SOURCES = {"eoir/pro-bono-providers", "acf/orr-state-affiliates"}


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict]:
    return {bundle["key"]: bundle for bundle in read_bundles()}


@pytest.fixture(scope="module")
def digest() -> set[tuple[str, str, str]]:
    with gzip.open(DATA_DIR / DIGEST_NAME, "rt", encoding="utf-8") as handle:
        return {(row["record"], row["field"], row["digits"]) for row in csv.DictReader(handle)}


def all_phones(bundle: dict) -> list[dict]:
    phones = list(bundle["phones"])
    phones += [phone for location in bundle["locations"] for phone in location.get("phones", [])]
    phones += [phone for service in bundle["services"] for phone in service.get("phones", [])]
    return phones


def test_every_phone_in_the_bundle_is_one_its_own_seed_record_carries(bundles, digest):
    strangers = []
    for bundle in bundles.values():
        own = {bundle["key"], *bundle.get("merged_keys", []), *(loc["key"] for loc in bundle["locations"])}
        for phone in all_phones(bundle):
            carried = (phone["record"], phone["source"], digits(phone["number"])) in digest
            if phone["record"] not in own or not carried:
                strangers.append((bundle["key"], phone["number"], phone["source"]))
    assert len(digest) > 12_000
    assert strangers == []


def test_988_belongs_only_to_local_988_lifeline_centers_and_the_lifeline_itself(bundles):
    with_988 = [b for b in bundles.values() if any(digits(p["number"]) == "988" for p in all_phones(b))]
    assert len(with_988) > 150
    for bundle in with_988:
        assert LIFELINE_SOURCE in bundle["sources"] or bundle["key"] == "us/veterans-crisis-line", bundle["key"]
        assert bundle["locations"] or bundle["key"] in ("us/988-lifeline", "us/veterans-crisis-line"), bundle["key"]


@pytest.mark.parametrize(
    ("key", "voice", "text"),
    [
        ("us/national-domestic-violence-hotline", {"8007997233"}, {"88788"}),
        ("us/national-sexual-assault-hotline", {"8006564673"}, set()),
        ("us/crisis-text-line", set(), {"741741"}),
        ("us/lgbt-national-hotline", {"8888434564"}, set()),
        ("us/trevor-project", {"8664887386"}, set()),
    ],
)
def test_national_hotlines_filed_under_the_988_list_keep_their_own_numbers(bundles, key, voice, text):
    phones = all_phones(bundles[key])
    assert {digits(p["number"]) for p in phones if p["type"] != "text"} == voice
    assert {digits(p["number"]) for p in phones if p["type"] == "text"} == text
    assert "suicide-prevention" not in bundles[key]["services"][0]["needs"] or key == "us/crisis-text-line"


def test_a_text_line_says_what_to_text(bundles):
    text = next(p for p in all_phones(bundles["us/national-domestic-violence-hotline"]) if p["type"] == "text")
    assert text["description"] == "Text START to 88788"


def test_every_phone_has_a_type_people_can_act_on(bundles):
    types = Counter(p["type"] for b in bundles.values() for p in all_phones(b))
    assert set(types) <= PHONE_TYPES
    assert types["hotline"] > 500
    assert types["text"] >= 5


def test_hotlines_and_warmlines_are_remote_offices_are_in_person(bundles):
    assert bundles["us/national-domestic-violence-hotline"]["services"][0]["delivery"] == "remote"
    assert bundles["us/988-lifeline"]["services"][0]["delivery"] == "remote"
    assert bundles["pa/peer-support-talk-line"]["services"][0]["delivery"] == "remote"
    assert bundles["tx/human-rights-initiative-of-north-texas"]["services"][0]["delivery"] == "in-person"
    deliveries = Counter(b["services"][0]["delivery"] for b in bundles.values())
    assert set(deliveries) == {"remote", "in-person", "both"}


def test_no_government_agency_facility_or_court_is_a_provider(bundles):
    assert [b["key"] for b in bundles.values() if government_reason(b["name"], b.get("description", ""))] == []
    assert "ny/executive-office-for-immigration-review-eoir" not in bundles
    assert "ny/u-s-immigration-and-customs-enforcement" not in bundles


def test_a_point_is_street_level_only_where_the_record_gives_a_street(bundles):
    loose = [
        loc["key"]
        for b in bundles.values()
        for loc in b["locations"]
        if loc["precision"] == "source" and (not loc["address"]["address_1"] or loc["confidential"])
    ]
    assert loose == []


def test_a_record_whose_own_point_is_its_town_centre_is_placed_at_the_town_not_a_street(bundles):
    irc = bundles["tx/international-rescue-committee"]
    assert [loc["key"] for loc in irc["locations"]] == ["tx/international-rescue-committee"]
    precisions = Counter(loc["precision"] for b in bundles.values() for loc in b["locations"])
    assert precisions["source"] > 10_000
    assert precisions["place"] > 300
    assert precisions["zip"] > 1_000


def test_one_provider_listed_twice_is_one_organization_with_both_sources(bundles):
    irc = bundles["tx/international-rescue-committee"]
    assert "tx/international-rescue-committee-irc-2" not in bundles
    assert irc["merged_keys"] == ["tx/international-rescue-committee-irc-2"]
    assert set(irc["sources"]) == {"eoir/pro-bono-providers", "acf/orr-state-affiliates"}
    assert {"removal-defense", "refugee-resettlement"} <= set(irc["services"][0]["needs"])


def test_counties_a_record_says_it_serves_become_county_areas(bundles):
    areas = bundles["pa/alle-kiski-area-hope-center"]["services"][0]["areas"]
    assert {(a["scope"], a["state"], a["name"]) for a in areas} >= {
        ("county", "PA", "Allegheny County"),
        ("county", "PA", "Westmoreland County"),
    }
    parishes = bundles["la/faith-house-inc"]["services"][0]["areas"]
    assert ("county", "LA", "St. Landry Parish") in {(a["scope"], a["state"], a["name"]) for a in parishes}


def test_a_town_a_record_says_it_is_based_in_places_it_there(bundles):
    serenity = bundles["ar/serenity-inc"]  # listed twice by the coalition: merged
    assert [(loc["address"]["city"], loc["precision"]) for loc in serenity["locations"]] == [("Mountain Home", "place")]
    assert serenity["services"][0]["placement"] == "placed"


def test_a_statewide_area_that_contradicts_the_name_is_dropped(bundles):
    chirla = bundles["ny/coalition-for-humane-immigrant-rights-of-l-a"]["services"][0]
    assert chirla.get("areas", []) == []
    assert chirla["placement"] == "unplaced"


def test_every_record_of_an_immigration_legal_source_is_findable_for_its_need(bundles):
    lost = [
        b["key"]
        for b in bundles.values()
        if set(b["sources"]) & IMMIGRATION_LEGAL_SOURCES and b["services"][0]["placement"] == "unplaced"
    ]
    assert lost == []
    for key in ("fl/church-world-service", "nv/unlv-immigration-clinic", "ny/tahirih-justice-center"):
        service = bundles[key]["services"][0]
        assert service["placement"] in ("placed", "area-only"), key


def test_a_provider_with_no_address_is_matched_in_the_state_it_is_listed_for_and_says_so(bundles):
    area = bundles["fl/church-world-service"]["services"][0]["areas"][0]
    assert (area["scope"], area["state"]) == ("state", "FL")
    assert "not listed" in area["description"]


def test_sub_needs_come_only_from_the_record_s_own_words(bundles):
    aba = bundles["dc/aba-commission-on-immigration-detention-informat"]
    assert "detention-bond" in aba["services"][0]["needs"]  # "Immigration Detention" is in its name
    assert all_phones(aba) == []  # the record gives no number, so none is shown
    detention = [b["key"] for b in bundles.values() if "detention-bond" in b["services"][0]["needs"]]
    text = {key: (bundles[key]["name"] + " " + bundles[key]["description"]).lower() for key in detention}
    assert all(re.search(r"detain|detention|bond", t) for t in text.values())


def test_dates_are_list_dates_never_confirmations(bundles):
    services = [s for b in bundles.values() for s in b["services"]]
    assert not any("assured_date" in s for s in services)
    assert all(re.fullmatch(r"2026-07-\d\d", s["listed_on"]) for s in services)


def test_the_phone_digest_is_exactly_what_the_converter_writes_from_the_seed(digest):
    if not SEED_DIR.exists():
        pytest.skip("../shared/seed-data is not beside this checkout")
    assert set(phone_digest(SEED_DIR)) == digest


def test_every_bundle_phone_is_in_its_seed_record_itself(bundles):
    if not SEED_DIR.exists():
        pytest.skip("../shared/seed-data is not beside this checkout")
    records = {}
    for name in ("organizations.jsonl", "sites.jsonl"):
        for line in (SEED_DIR / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records[record["id"]] = record
    for bundle in bundles.values():
        for phone in all_phones(bundle):
            record = records[phone["record"]]
            number = digits(phone["number"])
            if phone["source"] == "phone":
                assert digits(record["phone"]).startswith(number), phone
            elif phone["source"] == "description":
                assert number in digits(record["description"]), phone
            else:
                assert phone["source"] == LIFELINE_SOURCE
                assert number == "988"
                assert LIFELINE_SOURCE in record["sources"]
                assert (record.get("address") or record.get("place"))


def test_records_left_out_are_agencies_courts_and_sentences_only():
    if not SEED_DIR.exists():
        pytest.skip("../shared/seed-data is not beside this checkout")
    records = [json.loads(line) for line in (SEED_DIR / "organizations.jsonl").read_text().splitlines()]
    reasons = Counter(reason for _id, reason in screen(records)[1])
    assert reasons["a sentence, not a name"] == 3
    assert reasons["immigration court"] == 1
    assert sum(reasons.values()) == 16
