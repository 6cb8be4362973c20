"""Referral codes: 8 characters a person can read aloud and type, without 0/O, 1/I/L or U."""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols: 30**8 ≈ 6.6e11 codes
LENGTH = 8


def new_code() -> str:
    """Return a fresh random code (the caller checks it is unused; the column is unique too)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(text: str) -> str | None:
    """Return a typed code as stored (upper case, no dashes or spaces), or None if it cannot be one."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_code(code: str) -> str:
    """Return a code as printed: two groups of four (K7M4-Q2XP)."""
    return f"{code[:4]}-{code[4:]}"
