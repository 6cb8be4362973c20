"""Encryption of client fields at rest (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``).

Keys come from the REFERRAL_KEYS setting, newest first; every key can decrypt, the first one
encrypts. A value that cannot be decrypted (a lost key) reads as None rather than failing a page.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _cipher() -> MultiFernet:
    keys = current_app.config["REFERRAL_KEYS"]
    if isinstance(keys, str):
        keys = [key.strip() for key in keys.split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str | None) -> str | None:
    """Return a client field encrypted as text, or None for an empty value."""
    if value is None or not value.strip():
        return None
    return _cipher().encrypt(value.strip().encode()).decode("ascii")


def decrypt(token: str | None) -> str | None:
    """Return a client field decrypted, or None when it is empty, erased or unreadable."""
    if not token:
        return None
    try:
        return _cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
