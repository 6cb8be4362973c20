"""Guidance from official sources: what to do now when someone was detained, and national directories.

Every number and address here comes from the official page named in its ``source`` (data/README.md,
"Official guidance", lists them). A fact no official page confirmed is left out, not guessed. Guidance
may name government agencies and the immigration court; results never offer them as help.
"""

from dataclasses import dataclass, field

from matching.needs import get_taxonomy
from web.translate import lazy_gettext as _l

DETENTION_NEED = "detention-bond"
IMMIGRATION_LEGAL = "immigration-legal"

DETAINEE_LOCATOR_URL = "https://locator.ice.gov/odls/"
CASE_INFORMATION_PHONE = "1-800-898-7180"
PRO_BONO_LIST_URL = "https://www.justice.gov/eoir/list-pro-bono-legal-service-providers"



@dataclass(frozen=True)
class Link:
    label: str
    url: str


# The official pages each fact was read from.
LOCATOR_SOURCES = (
    Link(
        _l("Department of Homeland Security, news of June 7, 2024, on the Online Detainee Locator System"),
        "https://www.dhs.gov/news/2024/06/07/department-homeland-security-announces-enhanced-searchability-migrants-custody",
    ),
    Link(_l("ICE Online Detainee Locator System: privacy policy"), "https://locator.ice.gov/odls/privacy.jsp"),
    Link(
        _l("ICE Online Detainee Locator System: questions and answers (archived copy)"),
        "http://eot.us.archive.org/eot/20170125000412/http:/locator.ice.gov/odls/about.jsp",
    ),
)
CASE_INFORMATION_SOURCES = (
    Link(
        _l("Immigration court (EOIR): case status information line"),
        "https://www.justice.gov/eoir/customer-service-initiatives",
    ),
    Link(
        _l("Immigration Court Practice Manual, chapter 1.6: inquiries"),
        "https://www.justice.gov/eoir/reference-materials/ic/chapter-1/6",
    ),
)
PRO_BONO_LIST_SOURCES = (
    Link(_l("Immigration court (EOIR): List of Pro Bono Legal Service Providers"), PRO_BONO_LIST_URL),
)


@dataclass(frozen=True)
class Phone:
    label: str
    number: str


@dataclass(frozen=True)
class Step:
    """One thing to do, with the official links and phone numbers that do it."""

    code: str
    title: str
    text: tuple[str, ...]
    links: tuple[Link, ...] = ()
    phones: tuple[Phone, ...] = ()
    sources: tuple[Link, ...] = field(default=())


def detention_steps() -> list[Step]:
    """Return what to do now when someone was detained by immigration, in order."""
    return [
        Step(
            code="find-the-person",
            title=_l("Find out where they are held"),
            text=(
                _l(
                    "Search ICE's Online Detainee Locator with their A-number and country of birth, or with "
                    "their first and last name and country of birth (the date of birth is optional)."
                ),
                _l("It also finds people held by Border Patrol (CBP) for 48 hours or more. It works in Spanish."),
                _l(
                    "The A-number is the 9-digit number in the top right corner of the Notice to Appear "
                    "(form I-862) and on other immigration papers."
                ),
                _l("ICE says it does not use the locator to track what people search or to enforce immigration law."),
            ),
            links=(Link(_l("ICE Online Detainee Locator"), DETAINEE_LOCATOR_URL),),
            sources=LOCATOR_SOURCES,
        ),
        Step(
            code="check-the-case",
            title=_l("Check their immigration court case"),
            text=(
                _l(
                    "Call the immigration court's automated case information line: free, 24 hours a day, in "
                    "English and Spanish. Enter their A-number (9 digits; if it has 8, put a 0 first)."
                ),
                _l(
                    "It tells the date, time and place of the next hearing, and the judge's decision. "
                    "It has no information about bond hearings."
                ),
            ),
            phones=(Phone(_l("Immigration court case information"), CASE_INFORMATION_PHONE),),
            sources=CASE_INFORMATION_SOURCES,
        ),
        Step(
            code="free-legal-help",
            title=_l("Find free legal help"),
            text=(
                _l(
                    "The immigration court publishes a list of nonprofit organizations and lawyers who have "
                    "committed to give free legal help at each immigration court. It is updated four times a year."
                ),
            ),
            links=(Link(_l("List of Pro Bono Legal Service Providers (immigration court)"), PRO_BONO_LIST_URL),),
            sources=PRO_BONO_LIST_SOURCES,
        ),
    ]


def is_detention_need(code: str | None) -> bool:
    """Tell whether a search is for help for someone detained."""
    return code == DETENTION_NEED


def national_directories(code: str | None) -> list[Link]:
    """Return the national directories to offer when results for ``code`` are thin, as plain links."""
    taxonomy = get_taxonomy()
    if not code or code not in taxonomy or IMMIGRATION_LEGAL not in (code, *taxonomy.ancestors(code)):
        return []
    # The national nonprofit directory (Immigration Advocates Network) is not here: no official or
    # stored page of its own confirmed its address (see data/README.md).
    return [Link(_l("List of Pro Bono Legal Service Providers (immigration court)"), PRO_BONO_LIST_URL)]


def tel_href(number: str) -> str:
    """Return a tel: link for a US number written "1-800-898-7180"."""
    return "tel:" + "".join(ch for ch in number if ch.isdigit())


def serialize_steps(steps: list[Step]) -> list[dict]:
    """Shape guidance steps for the API (words in the current language)."""
    return [
        {
            "code": step.code,
            "title": str(step.title),
            "text": [str(line) for line in step.text],
            "links": [{"label": str(link.label), "url": link.url} for link in step.links],
            "phones": [{"label": str(phone.label), "number": phone.number} for phone in step.phones],
            "sources": [{"label": str(link.label), "url": link.url} for link in step.sources],
        }
        for step in steps
    ]
