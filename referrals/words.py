"""Labels of referral statuses and contact preferences, in the reader's language."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "sent": _l("Sent"),
    "tracked": _l("Tracked by the caseworker"),
    "received": _l("Received"),
    "contacted": _l("Contacted"),
    "appointment": _l("Appointment made"),
    "helped": _l("Got help"),
    "unreachable": _l("Couldn't reach"),
    "not-eligible": _l("Not eligible"),
    "no-capacity": _l("No capacity"),
    "declined": _l("Declined"),
}
CONTACT_LABELS = {
    "phone": _l("The provider may call"),
    "text": _l("The provider may send a text message"),
    "email": _l("The provider may email"),
    "client-calls": _l("Don't contact me: I will call them"),
}
