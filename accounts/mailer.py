"""Outgoing email: every message is kept in the outbox, then handed to the configured backend.

MAIL_BACKEND "console" (the default) only logs that a message is waiting in the outbox;
"smtp" sends it. Neither ever logs a body: bodies carry password-reset links.
"""

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app
from sqlmodel import Session

from models import OutboxMessage
from models.base import utcnow


def send_mail(session: Session, *, to: str, subject: str, body: str) -> OutboxMessage:
    """Store a message in the outbox and deliver it with the configured backend."""
    message = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(message)
    session.commit()
    backend = current_app.config.get("MAIL_BACKEND", "console")
    if backend == "smtp":
        _deliver_by_smtp(message)
        session.commit()
    else:
        current_app.logger.info("Mail queued in the outbox (console backend) for %s: %s", to, subject)
    return message


def _deliver_by_smtp(message: OutboxMessage) -> None:
    """Send one message; mark it sent, or log why not (it stays in the outbox, unsent)."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.error(
            "Could not send mail %s to %s (%s): %s", message.id, message.to_address, message.subject, error
        )
        return
    message.sent_at = utcnow()
