"""Service areas and home towns that a seed record states in its own words.

Directories describe where a program works in plain text: "Serves Allegheny County, Westmoreland
County, PA.", "Counties served: Bedford, Coffee, Franklin.", "serving Clark County, Nevada",
"based in Mountain Home, AR", "Serves New York City (all 5 NYC boroughs), NY." Only what such a
sentence says is read; nothing is guessed from a name or a phone's area code.
"""

import re
from functools import lru_cache

import zipcodes

from geo.gazetteer import STATES, state_abbr
from matching.index import county_key

# New York City's boroughs are counties: a record serving "New York City" serves these five.
NYC_COUNTIES = ("Bronx", "Kings", "New York", "Queens", "Richmond")

_COUNTY_WORD = re.compile(r"\s+(county|parish|borough)$", re.IGNORECASE)
# A list runs to the first full stop that does not end "St." or "D.C.".
_LIST = r"(?P<list>(?:[^.]|(?<=\bSt)\.|(?<=\bSte)\.|(?<=\bFt)\.|(?<=\bMt)\.|(?<=\bD)\.(?=C)|(?<=\bD\.C)\.(?= ))+?)"
_END = r"(?<!\bSt)(?<!\bSte)(?<!\bFt)(?<!\bMt)(?<!\bD\.C)(?<!\bD)\.(?!\w)"
_SERVES = re.compile(rf"\bServes (?:residents of )?{_LIST}(?:,\s*(?P<state>[A-Z]{{2}}))?{_END}", re.IGNORECASE)
_SERVING = re.compile(r"\bserving (?P<list>(?:[A-Z][\w.'-]* )+(?:County|Parish))(?:,\s*(?P<state>[A-Z][A-Za-z ]+))?")
_COUNTIES_SERVED = re.compile(rf"\bCounties served: {_LIST}{_END}", re.IGNORECASE)
_BASED_IN = re.compile(r"\bbased in (?P<town>[A-Z][\w.' -]+?),\s*(?P<state>[A-Z]{2})\b")
_SPLIT = re.compile(r",\s*(?:and\s+)?|;\s*|\s+and\s+")


@lru_cache(maxsize=1)
def counties_by_state() -> dict[str, set[str]]:
    """Return the county keys of each state (counties, parishes, boroughs, independent cities)."""
    found: dict[str, set[str]] = {}
    for row in zipcodes.list_all():
        if row.get("county") and row.get("state"):
            found.setdefault(row["state"], set()).add(county_key(row["county"]))
    return found


def _state(text: str | None, default: str | None) -> str | None:
    return (state_abbr(text) if text else None) or default


def stated_areas(description: str, default_state: str | None) -> tuple[list[dict], list[tuple[str, str]]]:
    """Return the county areas and the towns a record's text says it serves.

    Areas are bundle areas ({"scope": "county", "state": "PA", "name": "Allegheny County"});
    towns are (town, state) pairs, for a record that has no address of its own.
    """
    areas: list[dict] = []
    towns: list[tuple[str, str]] = []
    text = description or ""
    for match in [*_SERVES.finditer(text), *_SERVING.finditer(text), *_COUNTIES_SERVED.finditer(text)]:
        state = _state(match.groupdict().get("state"), default_state)
        if not state:
            continue
        listed = match.group("list")
        if "statewide" in listed.lower():
            continue
        if re.search(r"\bNew York City\b", listed):
            areas += [{"scope": "county", "state": "NY", "name": f"{name} County"} for name in NYC_COUNTIES]
            continue
        counties_only = match.re is _COUNTIES_SERVED
        known = counties_by_state().get(state, set())
        for part in _SPLIT.split(listed):
            part = re.sub(r"^(the )?(City|Town) of ", "", part.strip(" ;:"))
            if not part or len(part) > 40 or not part[0].isupper() or "(" in part or " area" in part.lower():
                continue
            if counties_only or _COUNTY_WORD.search(part):
                base = _COUNTY_WORD.sub("", part)
                suffix = "Parish" if state == "LA" else "County"
                if county_key(base) in known:
                    areas.append({"scope": "county", "state": state, "name": f"{base} {suffix}"})
            elif county_key(f"{part} city") in known:
                # Virginia's independent cities are county-equivalents ("Roanoke city").
                areas.append({"scope": "county", "state": state, "name": f"{part} city"})
            else:
                towns.append((part, state))
    for match in _BASED_IN.finditer(text):
        state = _state(match.group("state"), None)
        if state:
            towns.append((match.group("town").strip(), state))
    unique = {(a["state"], a["name"]): a for a in areas}
    return list(unique.values()), list(dict.fromkeys(towns))


# Names that tie an organization to one state ("Coalition for Humane Immigrant Rights of L.A.").
_NAMED_PLACES = {
    "CA": r"\bL\.A\.|\bLos Angeles\b|\bSan Francisco\b|\bSan Diego\b",
    "IL": r"\bChicago\b",
    "TX": r"\b(Houston|Dallas|San Antonio|El Paso)\b",
}
# A state's name that names something else: a county ("Washington County"), a city ("Kansas City"),
# another state ("West Virginia"), a region ("Greater Washington", "Washington, D.C.").
_NOT_THE_STATE = r"(?!\s+(County|Co\b|Parish|City|Valley|Heights|Avenue|Street|Area))"


def named_elsewhere(name: str, state: str) -> bool:
    """Tell whether an organization's name ties it to a state other than ``state``."""
    for abbr, full in STATES.items():
        if abbr == state or len(full) <= 4:
            continue
        pattern = rf"(?<!West )(?<!Greater )\b(of|in) {re.escape(full)}\b{_NOT_THE_STATE}(?!,? D\.?C)"
        if re.search(pattern, name):
            return True
    return any(abbr != state and re.search(pattern, name) for abbr, pattern in _NAMED_PLACES.items())
