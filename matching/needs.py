"""The need taxonomy (data/needs.json): codes, parents, labels, and parent-to-children expansion."""

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

NEEDS_FILE = Path(__file__).resolve().parent.parent / "data" / "needs.json"


@dataclass(frozen=True)
class Need:
    code: str
    parent: str | None
    labels: dict[str, str]
    descriptions: dict[str, str]
    keywords: tuple[str, ...]
    icon: str | None = None
    children: tuple[str, ...] = field(default=())

    def label(self, lang: str) -> str:
        """Return the label in ``lang``, or English when there is none."""
        return self.labels.get(lang) or self.labels["en"]

    def description(self, lang: str) -> str:
        """Return the description in ``lang``, or English when there is none."""
        return self.descriptions.get(lang) or self.descriptions["en"]


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
                labels=term["labels"],
                descriptions=term["descriptions"],
                keywords=tuple(term.get("keywords", ())),
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

    def tree(self, lang: str) -> list[dict]:
        """Return the tree with labels in ``lang`` (for the API and the pages)."""

        def node(need: Need) -> dict:
            return {
                "code": need.code,
                "label": need.label(lang),
                "description": need.description(lang),
                "icon": need.icon,
                "children": [node(self.needs[c]) for c in need.children],
            }

        return [node(need) for need in self.top_level]


@lru_cache(maxsize=1)
def get_taxonomy() -> Taxonomy:
    """Return the need taxonomy, loaded once per process."""
    return Taxonomy(json.loads(NEEDS_FILE.read_text(encoding="utf-8")))
