"""Government agencies, their facilities and courts are told apart from providers."""

import pytest

from matching.screening import government_reason


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Executive Office for Immigration Review (EOIR)", "immigration court"),
        ("Dallas Immigration Court", "immigration court"),
        ("Board of Immigration Appeals", "immigration court"),
        ("U.S. Immigration and Customs Enforcement", "immigration enforcement agency"),
        ("US Department of Homeland Security", "immigration enforcement agency"),
        ("U.S. Customs and Border Protection", "immigration enforcement agency"),
        ("ICE Field Office", "immigration enforcement agency"),
        ("U.S Citizenship and Immigration Services", "immigration agency"),
        ("Krome Service Processing Center", "detention facility"),
        ("South Texas Family Residential Center", "detention facility"),
        ("Port Isabel Detention Center", "detention facility"),
        ("Federal Bureau of Investigation", "law enforcement agency"),
        ("New York City Police Department (NYPD)", "law enforcement agency"),
        ("United States Bankruptcy Court", "court"),
        ("New York State Unified Court System", "court"),
        ("U.S. Court of Appeals for Veterans Claims (USCAVC)", "court"),
    ],
)
def test_government_reason_names_agencies_facilities_and_courts(name, reason):
    assert government_reason(name) == reason


@pytest.mark.parametrize(
    "name",
    [
        "Detention Watch Network",
        "Immigration Court Helpdesk",
        "Florence Immigrant and Refugee Rights Project",
        "ABA Commission on Immigration Detention Information Hotline",
        "Nassau County Supreme Court Help Center",
        "Erie County Sheriff’s Office Domestic Violence Hotline",
        "Court Clinic Treatment Services",
        "Gooden Wellness Center Holliston Court",
        "Alameda County Public Defender - Immigration Representation Unit",
        "New York Public Interest Research Group (NYPRIG) - Small Claims Court Action Center (SCCAC)",
        "Civil Court Volunteer Lawyers Program (part of the New York State Access to Justice Program)",
        "Catholic Charities Immigration and Refugee Services",
        "Justice for Our Neighbors",
        "",
    ],
)
def test_government_reason_keeps_providers_that_work_near_courts_and_detention(name):
    assert government_reason(name) is None


def test_government_reason_keeps_a_record_whose_description_says_it_is_a_nonprofit():
    assert government_reason("Immigration Court Orientation", "A nonprofit giving free legal help.") is None
    assert government_reason("Immigration Court Orientation") == "immigration court"
