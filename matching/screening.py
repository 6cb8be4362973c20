"""Tell government agencies, their facilities and courts apart from the providers who help people.

Immigration enforcement (ICE, CBP, USCIS and their department), immigration courts (EOIR), detention
facilities, law enforcement and the courts themselves are never offered as help: guidance may name
them, results may not. Programs that work in or around them are providers: "Detention Watch
Network", an "Immigration Court Helpdesk" run by a nonprofit, the "Florence Immigrant and Refugee
Rights Project", a sheriff's domestic-violence hotline, a court's self-help center.
"""

import re

# Words that make a name a program, a project or an organization that helps people, even when it
# names an agency or a court ("Immigration Court Helpdesk", "Detention Watch Network").
PROVIDER_WORDS = re.compile(
    r"\b(help ?desk|help center|self-help|project|program(me)?s?|clinic|network|watch|rights|lawyers?|"
    r"attorneys?|advocates?|advocacy|coalition|legal (services?|aid|assistance|orientation)|law (office|center|"
    r"school)|public defender|hotline|information line|volunteers?|justice center|alliance|committee|fund|"
    r"association|bar association|church|charities|catholic|society|foundation|institute|center for|"
    r"action center|research group|refugee|immigrants?\b|ministr(y|ies)|treatment|health|counseling|crisis)",
    re.IGNORECASE,
)

# (reason, pattern on the name). Case-sensitive patterns are for acronyms that are also words.
RULES: list[tuple[str, re.Pattern]] = [
    (
        "immigration court",
        re.compile(
            r"executive office for immigration review|\bEOIR\b|immigration court|board of immigration appeals",
            re.IGNORECASE,
        ),
    ),
    (
        "immigration enforcement agency",
        re.compile(
            r"immigration and customs enforcement|customs and border protection|border patrol|"
            r"department of homeland security|homeland security investigations|"
            r"enforcement and removal operations",
            re.IGNORECASE,
        ),
    ),
    ("immigration enforcement agency", re.compile(r"\b(ICE|CBP|DHS|ERO)\b")),
    ("immigration agency", re.compile(r"citizenship and immigration services|\bUSCIS\b", re.IGNORECASE)),
    (
        "detention facility",
        re.compile(
            r"\b(detention (center|facility|centre)|processing center|family residential center|"
            r"contract detention|staging facility)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "law enforcement agency",
        re.compile(
            r"federal bureau of investigation|\bFBI\b|police department|\bNYPD\b|sheriff'?s office|"
            r"sheriff’s office|department of correction(al services|s)?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "court",
        re.compile(
            r"\b((supreme|district|family|bankruptcy|circuit|superior|municipal|surrogate'?s|surrogate’s|"
            r"housing|civil|criminal|county|city|tax|claims) court\b|court of (appeals|claims)|"
            r"unified court system)",
            re.IGNORECASE,
        ),
    ),
]

# Descriptions that say outright that a record is a provider of help.
PROVIDER_DESCRIPTION = re.compile(r"\b(non-?profit|pro bono|free legal|legal services to)\b", re.IGNORECASE)


def government_reason(name: str, description: str = "") -> str | None:
    """Return why a record is a government agency, its facility or a court, or None for a provider."""
    if not name or PROVIDER_WORDS.search(name) or PROVIDER_DESCRIPTION.search(description or ""):
        return None
    for reason, pattern in RULES:
        if pattern.search(name):
            return reason
    return None
