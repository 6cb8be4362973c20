"""Map 211 taxonomy codes (AIRS / 211 LA) onto our needs, from the editable file data/airs_needs.csv.

Each line maps a code prefix to one or more need codes (space-separated). A code takes the line of
its longest matching prefix, so children (FT-3600.6500) can map to a sub-need while the rest of the
branch (FT-3600.*) maps to the parent need. ``confidential`` = yes makes the sites of the matching
services confidential (domestic-violence shelters).
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from matching.needs import get_taxonomy

MAP_FILE = Path(__file__).resolve().parent.parent / "data" / "airs_needs.csv"
AIRS_CODE = re.compile(r"^[A-Z]{1,2}-\d{4}(\.\d{4})?(-\d{3})?(\.\d{2,4})?(-\d{3})?$")


@dataclass(frozen=True)
class AirsMap:
    """Code prefix -> (need codes, confidential)."""

    lines: dict[str, tuple[tuple[str, ...], bool]]

    def needs_for(self, code: str) -> tuple[tuple[str, ...], bool]:
        """Return the needs and the confidential flag of the longest prefix of ``code`` (none: empty)."""
        code = code.strip().upper()
        best = ""
        for prefix in self.lines:
            if (code == prefix or code.startswith((prefix + ".", prefix + "-"))) and len(prefix) > len(best):
                best = prefix
        return self.lines[best] if best else ((), False)


def looks_like_airs(text: str) -> bool:
    """Tell whether a text is an AIRS / 211 taxonomy code such as FT-3600.6500."""
    return bool(AIRS_CODE.match(text.strip().upper()))


def read_map(path: Path = MAP_FILE) -> AirsMap:
    """Read the mapping file; a need code that does not exist is an error, not a silent skip."""
    known = set(get_taxonomy().needs)
    lines = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            prefix = (row.get("prefix") or "").strip().upper()
            needs = tuple((row.get("needs") or "").split())
            unknown = [n for n in needs if n not in known]
            if not prefix or not needs or unknown:
                raise ValueError(f"{path.name}, line {number}: a prefix and known need codes are needed ({unknown})")
            lines[prefix] = (needs, (row.get("confidential") or "").strip().lower() in ("yes", "true", "1"))
    return AirsMap(lines)


@cache
def get_airs_map() -> AirsMap:
    """Return the mapping of data/airs_needs.csv (read once)."""
    return read_map()
