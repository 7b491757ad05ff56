"""Deployment settings that carry a rule (checked here, testable without Streamlit)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from .errors import DomainError

EXAMPLE_COOKIE_KEY = "bitte-ersetzen-beispielschluessel"
MIN_KEY_LENGTH = 32
_EPHEMERAL_KEY = secrets.token_urlsafe(48)


class ConfigurationError(DomainError):
    pass


def is_production(environ: Mapping[str, str]) -> bool:
    return environ.get("APP_ENV", "").strip().lower() in ("production", "prod", "produktion")


def cookie_key(environ: Mapping[str, str], from_secrets: str | None) -> str:
    """The key that signs login cookies: COOKIE_KEY, else secrets.toml's cookie_key.

    In production a missing, short or example key stops the app. Elsewhere a missing key is
    replaced by a random one for this process (logins then do not survive a server restart).
    """
    key = (environ.get("COOKIE_KEY") or from_secrets or "").strip()
    if is_production(environ):
        if not key or key == EXAMPLE_COOKIE_KEY or len(key) < MIN_KEY_LENGTH:
            raise ConfigurationError(
                "Produktionsbetrieb ohne eigenen Cookie-Schlüssel: Bitte COOKIE_KEY oder "
                f"cookie_key in .streamlit/secrets.toml setzen (mindestens {MIN_KEY_LENGTH} "
                "zufällige Zeichen, nicht der Beispielschlüssel)."
            )
        return key
    if key == EXAMPLE_COOKIE_KEY:
        return key
    return key or _EPHEMERAL_KEY
