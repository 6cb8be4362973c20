"""What a person finds on the bundled real data: a table of place x need x language.

Each row is a search a seeker makes (through /api/v1/search, on the session-wide seeded database),
with the fewest results it must give and checks on the first results. A row the bundle cannot yet
pass honestly is marked xfail (strict) with the reason: a finding, not a row to delete; when the
data arrives, the row passes, the strict xfail fails, and the marker goes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from geo import distance_km

pytestmark = pytest.mark.seeded

# National hotlines that have their own numbers: none of them may ever dial 988.
OWN_NUMBER_HOTLINES = {
    "National Domestic Violence Hotline": "800-799-7233",
    "National Sexual Assault Hotline (RAINN)": "800-656-4673",
    "Crisis Text Line": "741741",
    "LGBT National Hotline": "888-843-4564",
}
LIFELINE_SOURCE = "988lifeline/crisis-centers"
DETENTION_STEPS = ["find-the-person", "check-the-case", "free-legal-help"]


@dataclass
class Scenario:
    id: str
    params: dict
    minimum: int
    checks: list[Callable[[dict], None]] = field(default_factory=list)
    finding: str | None = None  # why the bundle cannot pass this row yet (xfail, strict)


def first_within(km: float, count: int = 1):
    """The first ``count`` results are placed within ``km`` of the searched place."""

    def check(answer):
        here = answer["location"]
        for result in answer["results"][:count]:
            distance = result["distance_km"] if result["distance_km"] is not None else result[
                "approximate_distance_km"]
            assert distance is not None, f"{result['organization_name']} has no site near {here['label']}"
            assert distance <= km, f"{result['organization_name']} is {distance} km away"

    return check


def includes(*names: str, among: int = 10):
    """These organizations are among the first results."""

    def check(answer):
        first = [result["organization_name"] for result in answer["results"][:among]]
        for name in names:
            assert name in first, f"{name} not among {first}"

    return check


def every_result(predicate: Callable[[dict], bool], what: str):
    def check(answer):
        for result in answer["results"]:
            assert predicate(result), f"{result['organization_name']}: {what}"

    return check


def label_has(text: str):
    def check(answer):
        assert text in answer["location"]["label"], answer["location"]["label"]

    return check


def point_near(lat: float, lon: float, km: float):
    """The place resolves near its real centre (not in the Pacific)."""

    def check(answer):
        here = answer["location"]
        assert distance_km(lat, lon, here["lat"], here["lon"]) <= km, here

    return check


def languages_marked(answer):
    """With a language filter every result says whether its language is confirmed."""
    assert {result["language_match"] for result in answer["results"]} <= {"yes", "unknown"}
    counts = answer["counts"]
    assert counts["confirmed"] + counts["unknown"] == answer["total"]


def dials_own_numbers(answer):
    """Hotlines dial their own numbers; 988 only for 988 Lifeline centers."""
    for result in answer["results"] + answer.get("area_options", []):
        numbers = [phone["number"] for phone in result["phones"]]
        name = result["organization_name"]
        if name in OWN_NUMBER_HOTLINES:
            assert OWN_NUMBER_HOTLINES[name] in numbers, (name, numbers)
            assert "988" not in numbers, (name, numbers)
        elif "988" in numbers:
            assert LIFELINE_SOURCE in result["listed"]["sources"], (name, numbers)


def has_hotline(name: str, number: str):
    def check(answer):
        found = [result for result in answer["results"] if result["organization_name"] == name]
        assert found, f"{name} is not in the results"
        assert number in [phone["number"] for phone in found[0]["phones"]]

    return check


def detention_steps(answer):
    assert [step["code"] for step in answer["guidance"]["steps"]] == DETENTION_STEPS


def thin_with_ways_on(answer):
    assert answer["thin"] is True
    assert answer["ways_on"]["wider"] is not None


def no_made_up_distances(answer):
    """A town or ZIP centre gives no distance, only its town."""
    for result in answer["results"]:
        if result["location_precision"] == "approximate":
            assert result["distance_km"] is None
            assert not result["reasons"][0].endswith("km away")


def confirmed_first(answer):
    """Results confirmed to speak the language come before those that do not list languages."""
    marks = [result["language_match"] for result in answer["results"]]
    assert marks[0] == "yes", marks
    assert marks == sorted(marks, key=lambda mark: mark != "yes"), marks


def official_directory(answer):
    assert answer["ways_on"]["directories"][0]["url"].startswith("https://www.justice.gov/eoir/")


def free(result) -> bool:
    return result["cost"] is not None and result["cost"]["code"] == "free"


SCENARIOS = [
    Scenario(
        "dallas-asylum-spanish-free",
        {"location": "Dallas, TX", "need": "asylum", "language": "es", "cost": "free"},
        3,
        [includes("Human Rights Initiative of North Texas", "RAICES", "International Rescue Committee", among=3),
         every_result(free, "is not free"), languages_marked, first_within(15, 3), no_made_up_distances],
    ),
    Scenario(
        "houston-77036-victim-support-hotline-numbers",
        {"location": "77036", "need": "victim-support"},
        3,
        [dials_own_numbers, has_hotline("National Domestic Violence Hotline", "800-799-7233"),
         has_hotline("National Domestic Violence Hotline", "88788"),
         has_hotline("National Sexual Assault Hotline (RAINN)", "800-656-4673")],
    ),
    Scenario(
        "houston-77036-victim-support-nearby",
        {"location": "77036", "need": "victim-support"},
        3,
        [first_within(50, 3)],
        finding="no Houston victim-support program has a site in the bundle: all 7 results are statewide or "
        "national (the Texas coalition's Houston programs are not placed)",
    ),
    Scenario(
        "houston-77036-immigration",
        {"location": "77036", "need": "immigration-legal"},
        5,
        [first_within(25, 5), no_made_up_distances],
    ),
    Scenario(
        "laredo-78040-detention",
        {"location": "78040", "need": "detention-bond"},
        1,
        [detention_steps],
        finding="no detention provider serves Laredo in the bundle (no seed record names a detention center it "
        "serves, see data/README.md); the nearest immigration providers are 240 km away in San Antonio",
    ),
    Scenario(
        "laredo-78040-detention-steps-and-ways-on",
        {"location": "78040", "need": "detention-bond"},
        0,
        [detention_steps, thin_with_ways_on, official_directory],
    ),
    Scenario(
        "dilley-tx-detention",
        {"location": "Dilley, TX", "need": "detention-bond"},
        1,
        [detention_steps],
        finding="no detention provider serves Dilley in the bundle (no seed record names a detention center it "
        "serves, see data/README.md)",
    ),
    Scenario(
        "washington-dc-detention",
        {"location": "DC", "need": "detention-bond"},
        3,
        [detention_steps, label_has("Washington"), first_within(15, 3)],
    ),
    Scenario(
        "san-francisco-by-name",
        {"location": "San Francisco", "need": "immigration-legal"},
        5,
        [label_has("San Francisco"), point_near(37.77, -122.42, 8), first_within(10, 3)],
    ),
    Scenario(
        "san-francisco-94110-victim-support-spanish",
        {"location": "94110", "need": "victim-support", "language": "es"},
        3,
        [languages_marked, dials_own_numbers],
    ),
    Scenario(
        "nyc-immigration-spanish",
        {"location": "NYC", "need": "immigration-legal", "language": "es"},
        10,
        [label_has("New York"), languages_marked, first_within(10, 5)],
    ),
    Scenario(
        "new-york-10032-immigration-spanish",
        {"location": "10032", "need": "immigration-legal", "language": "es"},
        10,
        [languages_marked, first_within(5, 3)],
    ),
    Scenario(
        "nueva-york-mental-health-spanish",
        {"location": "Nueva York", "need": "mental-health", "language": "es"},
        10,
        [label_has("New York"), languages_marked, confirmed_first],
    ),
    Scenario(
        "brooklyn-victim-support",
        {"location": "Brooklyn", "need": "victim-support"},
        5,
        [first_within(15, 2), dials_own_numbers],
    ),
    Scenario(
        "chicago-60623-immigration-spanish",
        {"location": "60623", "need": "immigration-legal", "language": "es"},
        5,
        [languages_marked, first_within(10, 5), no_made_up_distances],
    ),
    Scenario(
        "miami-33125-immigration-spanish",
        {"location": "33125", "need": "immigration-legal", "language": "es"},
        3,
        [languages_marked, includes("Americans for Immigrant Justice", among=1)],
    ),
    Scenario(
        "miami-33125-crisis-spanish",
        {"location": "33125", "need": "crisis", "language": "es"},
        3,
        [languages_marked, dials_own_numbers, has_hotline("Crisis Text Line", "741741")],
    ),
    Scenario(
        "los-angeles-immigration-spanish",
        {"location": "LA", "need": "immigration-legal", "language": "es"},
        5,
        [label_has("Los Angeles"), languages_marked, first_within(15, 3)],
    ),
    Scenario(
        "dallas-75201-victim-support-spanish",
        {"location": "75201", "need": "victim-support", "language": "es"},
        3,
        [languages_marked, dials_own_numbers],
    ),
    Scenario(
        "dallas-75201-victim-support-nearby",
        {"location": "75201", "need": "victim-support"},
        3,
        [first_within(50, 3)],
        finding="Dallas's own programs (The Family Place, Genesis Women's Shelter) have no site, only a "
        "statewide area, so nothing in Dallas shows as nearby",
    ),
    Scenario(
        "rural-alpine-tx-79830-mental-health",
        {"location": "79830", "need": "mental-health"},
        1,
        [first_within(50), thin_with_ways_on],
    ),
    Scenario(
        "rural-miles-city-mt-59301-victim-support",
        {"location": "59301", "need": "victim-support"},
        3,
        [dials_own_numbers, thin_with_ways_on,
         has_hotline("National Domestic Violence Hotline", "800-799-7233")],
    ),
]


def _marks(scenario: Scenario):
    return [pytest.mark.xfail(reason=scenario.finding, strict=True)] if scenario.finding else []


@pytest.mark.parametrize(
    "scenario", [pytest.param(s, id=s.id, marks=_marks(s)) for s in SCENARIOS]
)
def test_a_seeker_finds_help_on_the_real_data(seeded_client, scenario):
    response = seeded_client.get("/api/v1/search", query_string=scenario.params)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["total"] >= scenario.minimum, (answer["total"], [r["organization_name"] for r in answer["results"]])
    for check in scenario.checks:
        check(answer)


def test_the_table_covers_at_least_twelve_searches_of_the_issue():
    places = {s.params["location"] for s in SCENARIOS}
    assert len(SCENARIOS) >= 12
    for place in ["Dallas, TX", "77036", "78040", "San Francisco", "NYC", "10032", "60623", "33125", "59301"]:
        assert place in places, place
