"""Deployment settings that carry a rule (checked here, testable without Streamlit)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from urllib.parse import quote
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from .errors import DomainError
from .validation import ascii_number

EXAMPLE_COOKIE_KEY = "bitte-ersetzen-beispielschluessel"
MIN_KEY_LENGTH = 32
_EPHEMERAL_KEY = secrets.token_urlsafe(48)
# The one secrets file: the project's own (`make run` makes it). .streamlit/config.toml names
# only this one for Streamlit too (secrets.files): never a file in the account's home, which
# the service's sandbox hides (ProtectHome) and Streamlit then cannot read.
SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"


class ConfigurationError(DomainError):
    pass


def is_production(environ: Mapping[str, str]) -> bool:
    return environ.get("APP_ENV", "").strip().lower() in ("production", "prod", "produktion")


def cookie_key(environ: Mapping[str, str], from_secrets: str | None) -> str:
    """The key that signs login cookies: COOKIE_KEY, else secrets.toml's cookie_key.

    The published example key and any key shorter than 32 characters are refused in every mode:
    whoever knows the key can forge a login cookie. Without a key, production stops; elsewhere
    the process makes a random one (logins then do not survive a server restart; `make run`
    keeps one in .streamlit/secrets.toml).
    """
    key = (environ.get("COOKIE_KEY") or from_secrets or "").strip()
    if key == EXAMPLE_COOKIE_KEY or (key and len(key) < MIN_KEY_LENGTH):
        raise ConfigurationError(
            "Der Cookie-Schlüssel ist unsicher (Beispielschlüssel oder kürzer als "
            f"{MIN_KEY_LENGTH} Zeichen). Bitte COOKIE_KEY oder cookie_key in "
            ".streamlit/secrets.toml auf eine lange Zufallsfolge setzen, z. B. von "
            "python -c \"import secrets; print(secrets.token_urlsafe(48))\"."
        )
    if not key and is_production(environ):
        raise ConfigurationError(
            "Produktionsbetrieb ohne eigenen Cookie-Schlüssel: Bitte COOKIE_KEY oder "
            f"cookie_key in .streamlit/secrets.toml setzen (mindestens {MIN_KEY_LENGTH} "
            "zufällige Zeichen)."
        )
    return key or _EPHEMERAL_KEY


def secrets_cookie_key(path: Path = SECRETS_FILE) -> str | None:
    """cookie_key from the project's secrets.toml, None without the file. A file that exists
    but cannot be read is refused: Streamlit reads it on every request and would answer each
    one with an error (HTTP 500)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Die Schlüsseldatei {path} ist für dieses Konto nicht lesbar ({exc}). Bitte dem "
            "Dienstkonto Lesezugriff geben (chmod 600, Eigentümer das Dienstkonto) oder die "
            "Datei entfernen und COOKIE_KEY in der Umgebungsdatei setzen.") from None
    try:
        value = tomllib.loads(text).get("cookie_key")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"Die Schlüsseldatei {path} ist kein gültiges TOML ({exc}). Bitte die Zeile "
            "cookie_key = \"…\" prüfen oder COOKIE_KEY in der Umgebungsdatei setzen.") from None
    return str(value) if value else None


# Outside production only: demo and test logs are chained with this published key, so there the
# chain shows accidents, not an attacker. Production refuses to run without its own AUDIT_KEY.
DEVELOPMENT_AUDIT_KEY = "nur-fuer-entwicklung-und-demo-kein-schutz"


def audit_key(environ: Mapping[str, str]) -> bytes:
    """The key of the audit log's chain (HMAC-SHA-256): AUDIT_KEY, kept outside the database –
    in the service's environment file – so that whoever can write the database still cannot
    re-chain edited entries."""
    key = environ.get("AUDIT_KEY", "").strip()
    if key and len(key) < MIN_KEY_LENGTH:
        raise ConfigurationError(f"AUDIT_KEY ist zu kurz: mindestens {MIN_KEY_LENGTH} zufällige Zeichen.")
    if not key:
        if is_production(environ):
            raise ConfigurationError(
                "Produktionsbetrieb ohne AUDIT_KEY: Das Protokoll wird mit einem Schlüssel außerhalb "
                "der Datenbank verkettet. Bitte AUDIT_KEY in der Umgebungsdatei setzen (mindestens "
                f"{MIN_KEY_LENGTH} zufällige Zeichen, auf allen App-Servern gleich, nie ändern).")
        key = DEVELOPMENT_AUDIT_KEY
    return key.encode("utf-8")


def anchor_file(environ: Mapping[str, str]) -> str | None:
    """AUDIT_ANCHOR_FILE: where every transaction that writes to the audit log appends the log's
    new head (entry id and hash), outside the database."""
    return environ.get("AUDIT_ANCHOR_FILE", "").strip() or None


def hash_key(environ: Mapping[str, str]) -> bytes:
    """The key for keyed hashes of typed usernames and client addresses (throttling, audit):
    COOKIE_KEY where set, else a random key for this process."""
    return (environ.get("COOKIE_KEY") or _EPHEMERAL_KEY).encode("utf-8")


def keyed(kind: str, value: str) -> str:
    """A keyed hash: the same name gives the same key, but the key does not give the name."""
    digest = hmac.new(hash_key(os.environ), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:40]}"


def session_limits(environ: Mapping[str, str]) -> tuple[timedelta, timedelta]:
    """(idle, absolute) session timeouts: SESSION_IDLE_MINUTES (60) and SESSION_MAX_HOURS (12)."""
    def number(name: str, default: int, low: int, high: int) -> int:
        value = ascii_number(environ.get(name, str(default)).strip())
        if value is None:
            raise ConfigurationError(f"{name} muss eine ganze Zahl sein (Ziffern 0–9).")
        if not low <= value <= high:
            raise ConfigurationError(f"{name} muss zwischen {low} und {high} liegen.")
        return value

    return (timedelta(minutes=number("SESSION_IDLE_MINUTES", 60, 5, 24 * 60)),
            timedelta(hours=number("SESSION_MAX_HOURS", 12, 1, 24)))


def secure_cookie(environ: Mapping[str, str]) -> bool:
    """COOKIE_SECURE=1 when the app is served over https (behind the reverse proxy): the
    browser then never sends the login cookie over plain http."""
    return environ.get("COOKIE_SECURE", "").strip().lower() in ("1", "true", "yes", "ja")


def demo_wanted(environ: Mapping[str, str]) -> bool:
    """Demo data only when asked for (DEMO_DATA=1), and never in production."""
    return (environ.get("DEMO_DATA", "").strip().lower() in ("1", "true", "yes", "ja")
            and not is_production(environ))


def database_url(user: str, password: str, host: str, port: int, database: str) -> str:
    """A PostgreSQL DATABASE_URL whose parts are URL-encoded: a password with @, #, /, : or %
    would otherwise be read as part of the address (the host after an @, a fragment after #).
    Encoded, the URL holds only letters, digits and "%-._~:/@+" – nothing a shell or an
    environment file reads specially."""
    part = lambda value: quote(value, safe="")  # noqa: E731 - one rule for every part
    login = part(user) + (":" + part(password) if password else "")
    return f"postgresql+psycopg://{login}@{host}:{port}/{part(database)}"
