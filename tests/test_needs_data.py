"""Checks on the need taxonomy data file (data/needs.json), English source and Spanish catalogue."""

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
NEEDS_PATH = ROOT / "data" / "needs.json"
SPANISH_PATH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"

TOP_LEVEL = ["immigration-legal", "legal-aid", "mental-health", "victim-support", "crisis"]

REQUIRED_CHILDREN = {
    "immigration-legal": [
        "asylum",
        "removal-defense",
        "detention-bond",
        "daca",
        "family-petitions",
        "naturalization",
        "u-visa",
        "t-visa",
        "vawa",
        "sijs",
        "tps",
        "work-permits",
        "know-your-rights",
        "immigration-consultation",
        "refugee-resettlement",
    ],
    "legal-aid": ["housing-law", "employment-law", "family-law", "public-benefits", "consumer-debt"],
    "mental-health": [
        "counseling",
        "trauma-therapy",
        "psychiatric-care",
        "support-groups",
        "substance-use",
        "child-family-mental-health",
    ],
    "victim-support": [
        "domestic-violence",
        "sexual-assault",
        "human-trafficking",
        "crime-victim-services",
        "emergency-shelter",
        "victim-advocacy",
    ],
    "crisis": ["crisis-lines", "suicide-prevention", "mobile-crisis"],
}

TOP_LEVEL_ICONS = {"passport", "scale", "chat", "shield", "phone"}

# Proper names that read the same in English and Spanish.
SAME_LABEL_ALLOWED = {"daca", "vawa"}

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LANGS = ("en", "es")
TEXT_FIELDS = ("label", "description")


@pytest.fixture(scope="module")
def raw_text() -> str:
    return NEEDS_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spanish() -> dict[str, str]:
    with SPANISH_PATH.open("rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


def text_in(term: dict, field: str, lang: str, spanish: dict[str, str]) -> str:
    """Return a term's text in English (from the file) or Spanish (from the catalogue)."""
    return term[field] if lang == "en" else spanish.get(term[field], "")


@pytest.fixture(scope="module")
def document(raw_text) -> dict:
    return json.loads(raw_text)


@pytest.fixture(scope="module")
def terms(document) -> list[dict]:
    return document["terms"]


@pytest.fixture(scope="module")
def by_code(terms) -> dict[str, dict]:
    return {term["code"]: term for term in terms}


def test_top_level_shape(document):
    assert isinstance(document, dict)
    assert set(document) == {"taxonomy", "terms"}
    info = document["taxonomy"]
    assert info["id"] == "amparo-needs"
    assert info["name"] == "Amparo needs"
    assert info["version"] == "1"
    assert isinstance(info["description"], str)
    assert info["description"].strip()
    assert isinstance(document["terms"], list)
    assert document["terms"]


def test_term_shape(terms):
    for term in terms:
        assert isinstance(term, dict), term
        assert {"code", "parent", "label", "description", "keywords"} <= set(term), term.get("code")
        assert set(term) <= {"code", "parent", "icon", "label", "description", "gloss", "keywords"}, term["code"]
        assert isinstance(term["code"], str)
        assert term["parent"] is None or isinstance(term["parent"], str)
        assert isinstance(term["label"], str)
        assert isinstance(term["description"], str)
        assert isinstance(term["keywords"], list)


def test_every_immigration_sub_need_has_a_one_sentence_gloss_in_english_and_spanish(by_code, spanish):
    for code in REQUIRED_CHILDREN["immigration-legal"]:
        gloss = by_code[code].get("gloss")
        assert gloss, code
        for text in (gloss, spanish.get(gloss, "")):
            assert text.strip(), code
            assert text.endswith("."), (code, text)
            assert ". " not in text.replace("EE. UU.", "EEUU"), (code, text)  # one sentence
            assert len(text.split()) <= 22, (code, text)


def test_codes_unique_and_kebab_case(terms):
    codes = [term["code"] for term in terms]
    assert len(codes) == len(set(codes)), [c for c in codes if codes.count(c) > 1]
    for code in codes:
        assert KEBAB.match(code), code


def test_top_level_codes_exact_and_in_order(terms):
    assert [term["code"] for term in terms if term["parent"] is None] == TOP_LEVEL


def test_top_level_icons(terms):
    icons = []
    for term in terms:
        if term["parent"] is None:
            assert isinstance(term.get("icon"), str), term["code"]
            assert term["icon"], term["code"]
            icons.append(term["icon"])
        elif "icon" in term:
            assert term["icon"] is None or (isinstance(term["icon"], str) and term["icon"]), term["code"]
    assert set(icons) == TOP_LEVEL_ICONS
    assert len(icons) == len(set(icons))


def test_parents_exist_and_are_top_level(by_code, terms):
    for term in terms:
        parent = term["parent"]
        if parent is None:
            continue
        assert parent in by_code, f"{term['code']}: unknown parent {parent}"
        assert by_code[parent]["parent"] is None, f"{term['code']}: parent {parent} is not top-level"


def test_children_listed_right_after_their_parent(terms):
    current_top = None
    seen_tops = set()
    for term in terms:
        if term["parent"] is None:
            current_top = term["code"]
            seen_tops.add(current_top)
        else:
            assert term["parent"] == current_top, (
                f"{term['code']} (parent {term['parent']}) is listed under {current_top}"
            )


def test_required_children_present_under_right_parent(by_code):
    for parent, children in REQUIRED_CHILDREN.items():
        for child in children:
            assert child in by_code, f"missing {child}"
            assert by_code[child]["parent"] == parent, f"{child} should be under {parent}"


def test_labels_and_descriptions_non_empty(terms, spanish):
    for term in terms:
        for field in TEXT_FIELDS:
            for lang in LANGS:
                value = text_in(term, field, lang, spanish)
                assert isinstance(value, str), f"{term['code']}: {field}.{lang} is not text"
                assert value.strip(), f"{term['code']}: empty {field}.{lang}"
                assert value == value.strip(), f"{term['code']}: {field}.{lang} has stray whitespace"


def test_spanish_label_differs_from_english(terms, spanish):
    for term in terms:
        if term["code"] in SAME_LABEL_ALLOWED:
            continue
        assert spanish[term["label"]] != term["label"], term["code"]


def test_spanish_description_differs_from_english(terms, spanish):
    for term in terms:
        assert spanish[term["description"]] != term["description"], term["code"]


def test_top_level_labels_short(terms, spanish):
    for term in terms:
        if term["parent"] is None:
            for lang in LANGS:
                assert len(text_in(term, "label", lang, spanish).split()) <= 7, (term["code"], lang)


def test_keywords_valid(terms):
    for term in terms:
        keywords = term["keywords"]
        assert keywords, f"{term['code']}: no keywords"
        for keyword in keywords:
            assert isinstance(keyword, str), (term["code"], keyword)
            assert keyword.strip(), f"{term['code']}: blank keyword"
            assert keyword == keyword.lower(), f"{term['code']}: keyword not lowercase: {keyword!r}"
            assert len(keyword) >= 3, f"{term['code']}: keyword too short: {keyword!r}"
            assert len(keyword.strip()) >= 3, f"{term['code']}: keyword too short: {keyword!r}"
        assert len(keywords) == len(set(keywords)), (
            f"{term['code']}: duplicate keywords {[k for k in keywords if keywords.count(k) > 1]}"
        )


def test_text_is_plain_utf8_not_escaped(raw_text):
    assert "\\u" not in raw_text
    assert "inmigración" in raw_text  # a keyword


def test_crisis_lines_mention_988_and_911(by_code, spanish):
    for lang in LANGS:
        description = text_in(by_code["crisis-lines"], "description", lang, spanish)
        assert "988" in description, lang
        assert "911" in description, lang


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("we accept visa and mastercard", "immigration-legal"),
        ("it is advisable to call ahead", "immigration-legal"),
        ("for parents of people held in ice custody", "family-law"),
        ("physical therapy and rehabilitation", "counseling"),
        ("what visa do i need", "t-visa"),
        ("steps to apply for housing", "tps"),
        ("snapshot of our services", "public-benefits"),
        ("grapes and fruit from the food bank", "sexual-assault"),
        ("serving warwick and nearby towns", "public-benefits"),
        ("tratamiento para la depresion", "human-trafficking"),
        ("advocacy for policy change", "crime-victim-services"),
    ],
)
def test_keywords_do_not_fire_on_unrelated_text(by_code, text, code):
    hits = [keyword for keyword in by_code[code]["keywords"] if keyword in text]
    assert not hits, f"{code} keywords {hits} fire on {text!r}"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("free help with asylum applications", "asylum"),
        ("ayuda con solicitudes de asilo", "asylum"),
        ("renovacion de daca", "daca"),
        ("applications for temporary protected status (tps)", "tps"),
        ("help with u visa and t visa cases", "u-visa"),
        ("help with u visa and t visa cases", "t-visa"),
        ("representation for people facing eviction", "housing-law"),
        ("línea de crisis 24 horas", "crisis-lines"),
        ("servicios para víctimas de violencia doméstica", "domestic-violence"),
    ],
)
def test_keywords_fire_on_typical_text(by_code, text, code):
    assert any(keyword in text for keyword in by_code[code]["keywords"]), (code, text)
