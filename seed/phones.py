"""Phone numbers from a seed record, each with where in the record it was found.

Every number in the bundle is the provider's own: the record's ``phone`` field, or a number its own
text gives ("Additional number: 267-225-7785", "text START to 88788"). The one exception is 988,
given to the local crisis centers of the 988 Lifeline network (the network's own number, which
routes to them); a national hotline that a directory filed under the 988 list keeps its own number.
Each phone carries ``record`` (the seed id) and ``source`` (``phone``, ``description`` or the list
key), which the data tests check against a digest of the seed records (data/source_phones.csv.gz).
"""

import re

LIFELINE_SOURCE = "988lifeline/crisis-centers"
PHONE_RE = r"\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}"
_ADDITIONAL = re.compile(rf"\bAdditional number:\s*({PHONE_RE})", re.IGNORECASE)
_HELPLINE = re.compile(rf"\b(?:HelpLine|Call)\s+({PHONE_RE})", re.IGNORECASE)
_TEXT_KEYWORD = re.compile(r"\btext\s+[\"“']?([A-Z0-9]{2,10})[\"”']?\s+to\s+(\d{5,6})\b", re.IGNORECASE)
_TEXT_NUMBER = re.compile(r"\b(?:call or )?text\s+(\d{3,6}|" + PHONE_RE + r")\b", re.IGNORECASE)
# Words in a name or text that make a record a telephone line rather than an office.
LINE_WORDS = re.compile(
    r"\b(hotline|helpline|help line|warmline|warm line|talk ?line|crisis line|lifeline|text line|support line|"
    r"crisis text|teen line|youthline)\b",
    re.IGNORECASE,
)


def digits(number: str) -> str:
    """Return a number's digits ("(214) 461-9781" -> "2144619781")."""
    return re.sub(r"\D", "", number)


def split_phone(raw: str) -> dict:
    """Split "907-565-1200 x65015" into number and extension."""
    match = re.match(r"^(.*?)\s*(?:x|ext\.?|extension)\s*(\d+)$", raw.strip(), re.IGNORECASE)
    if match:
        return {"number": match.group(1).strip(), "extension": int(match.group(2))}
    return {"number": raw.strip()}


def is_line(record: dict) -> bool:
    """Tell whether a record is a telephone line (crisis line, hotline, warmline, text line)."""
    sources = set(record.get("sources", []))
    if sources & {LIFELINE_SOURCE, "nami/warmline-directory"}:
        return True
    if "crisis-hotline" in record.get("categories", []) and not record.get("address", {}).get("street"):
        return True
    return bool(LINE_WORDS.search(record.get("name", "")))


def record_phone(record: dict, *, kind: str) -> list[dict]:
    """Return the record's ``phone`` field as a bundle phone of the given type, or nothing."""
    if not record.get("phone"):
        return []
    return [{**split_phone(record["phone"]), "type": kind, "record": record["id"], "source": "phone"}]


def text_phones(record: dict) -> list[dict]:
    """Return the numbers the record's own description gives, beyond its ``phone`` field."""
    text = record.get("description", "")
    own = digits(record.get("phone", ""))
    found: list[dict] = []
    seen = {(own, "hotline"), (own, "voice")}

    def add(number: str, kind: str, description: str) -> None:
        key = (digits(number), kind)
        if key not in seen:
            seen.add(key)
            found.append(
                {"number": number, "type": kind, "description": description, "record": record["id"],
                 "source": "description"}
            )  # fmt: skip

    line = is_line(record)
    for match in _ADDITIONAL.finditer(text):
        add(match.group(1), "hotline" if line else "voice", "Additional number")
    for match in _HELPLINE.finditer(text):
        add(match.group(1), "hotline" if line else "voice", "")
    for match in _TEXT_KEYWORD.finditer(text):
        keyword = match.group(1).upper()
        add(match.group(2), "text", f"Text {keyword} to {match.group(2)}")
    for match in _TEXT_NUMBER.finditer(text):
        add(match.group(1), "text", f"Text {match.group(1)}")
    for phone in found:
        if not phone["description"]:
            del phone["description"]
    return found


def is_local_center(record: dict) -> bool:
    """Tell whether a record is a local crisis center of the 988 Lifeline network (it has a place)."""
    listed = LIFELINE_SOURCE in record.get("sources", [])
    return listed and bool(record.get("address") or record.get("place") or record.get("geo"))


def lifeline_phone(record: dict) -> list[dict]:
    """Return 988 for a local crisis center of the 988 Lifeline network, else nothing.

    A local center has an address or a place of its own; national lines that a directory filed
    under the 988 list (the National Domestic Violence Hotline, RAINN, Crisis Text Line...) do not,
    and keep only their own numbers.
    """
    if not is_local_center(record):
        return []
    if digits(record.get("phone", "")) == "988":
        return []
    return [
        {
            "number": "988",
            "type": "hotline",
            "description": "Call or text 988; the 988 Lifeline connects you to a local crisis center.",
            "record": record["id"],
            "source": LIFELINE_SOURCE,
        }
    ]


def source_digest(record: dict) -> list[tuple[str, str, str]]:
    """Return (record id, field, digits) for every number a seed record carries.

    ``field`` is ``phone`` or ``description``; a local 988 crisis center also carries 988 under
    the list's key. This is what data/source_phones.csv.gz holds, one row per number.
    """
    rows = set()
    if record.get("phone"):
        rows.add((record["id"], "phone", digits(split_phone(record["phone"])["number"])))
    for match in re.finditer(rf"{PHONE_RE}|\b\d{{3,6}}\b", record.get("description", "")):
        rows.add((record["id"], "description", digits(match.group(0))))
    if lifeline_phone(record):
        rows.add((record["id"], LIFELINE_SOURCE, "988"))
    return sorted(rows)
