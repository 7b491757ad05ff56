"""Time in one place, so tests and demo data agree on 'today'."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today in Brandenburg (a late-evening visit belongs to the local day, not the UTC one)."""
    return datetime.now(LOCAL_TZ).date()


def as_local(moment: datetime) -> datetime:
    """A stored moment (UTC; SQLite hands it back without zone) in Brandenburg's time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)
