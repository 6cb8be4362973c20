"""The need taxonomy (data/needs.json): codes, parents, English labels, and parent-to-children expansion.

The file holds English only. Its labels, descriptions and glosses are extracted into the same
catalogues as every other string (``extract_needs``, declared in babel.cfg), and the pages and the
API translate them with gettext; nothing here knows about languages.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

NEEDS_FILE = Path(__file__).resolve().parent.parent / "data" / "needs.json"


@dataclass(frozen=True)
class Need:
    code: str
    parent: str | None
    label: str
    description: str
    keywords: tuple[str, ...]
    # One plain sentence for a legal term: "For victims of certain crimes who help the police."
    gloss: str | None = None
    icon: str | None = None
    children: tuple[str, ...] = field(default=())


class Taxonomy:
    """The need tree, read once from data/needs.json."""

    def __init__(self, document: dict):
        self.info: dict = document["taxonomy"]
        children: dict[str, list[str]] = {}
        for term in document["terms"]:
            if term.get("parent"):
                children.setdefault(term["parent"], []).append(term["code"])
        self.needs: dict[str, Need] = {
            term["code"]: Need(
                code=term["code"],
                parent=term.get("parent"),
                label=term["label"],
                description=term["description"],
                keywords=tuple(term.get("keywords", ())),
                gloss=term.get("gloss"),
                icon=term.get("icon"),
                children=tuple(children.get(term["code"], ())),
            )
            for term in document["terms"]
        }

    def __contains__(self, code: object) -> bool:
        return code in self.needs

    def __getitem__(self, code: str) -> Need:
        return self.needs[code]

    @property
    def top_level(self) -> list[Need]:
        """Return the top-level needs, in file order."""
        return [need for need in self.needs.values() if need.parent is None]

    def ancestors(self, code: str) -> list[str]:
        """Return the codes above ``code``, nearest first."""
        found = []
        parent = self.needs[code].parent
        while parent:
            found.append(parent)
            parent = self.needs[parent].parent
        return found

    def descendants(self, code: str) -> list[str]:
        """Return every code below ``code``."""
        found = []
        for child in self.needs[code].children:
            found.append(child)
            found.extend(self.descendants(child))
        return found

    def with_ancestors(self, codes: list[str] | set[str]) -> set[str]:
        """Return ``codes`` together with all their ancestors."""
        result = set()
        for code in codes:
            result.add(code)
            result.update(self.ancestors(code))
        return result

    def tree(self, translate: Callable[[str], str] = str) -> list[dict]:
        """Return the tree with its texts passed through ``translate`` (for the API and the pages)."""

        def node(need: Need) -> dict:
            return {
                "code": need.code,
                "label": translate(need.label),
                "description": translate(need.description),
                "gloss": translate(need.gloss) if need.gloss else None,
                "icon": need.icon,
                "children": [node(self.needs[c]) for c in need.children],
            }

        return [node(need) for need in self.top_level]


@lru_cache(maxsize=1)
def get_taxonomy() -> Taxonomy:
    """Return the need taxonomy, loaded once per process."""
    return Taxonomy(json.loads(NEEDS_FILE.read_text(encoding="utf-8")))


def extract_needs(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel extractor for data/needs.json: yield each label, description and gloss as a message."""
    text = fileobj.read().decode("utf-8")
    for term in json.loads(text)["terms"]:
        code = term["code"]
        line = text[: text.find(f'"code": "{code}"')].count("\n") + 1
        for key in ("label", "description", "gloss"):
            if term.get(key):
                yield line, "gettext", term[key], [f"Need {key}: {code}"]
