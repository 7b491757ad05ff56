"""One-time login tickets (pages/session.py makes them, pages/gateway.py redeems them): each is
good once across every app server, because the mark that it was used is in the shared database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import utcnow
from ..store.database import Database
from ..store.models import LoginTicket

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def redeem(db: Database, ticket_id: str, expires_at: datetime) -> bool:
    """True the first time this ticket is presented, on any server; False ever after. Two
    servers presenting it at the same moment: the primary key lets exactly one insert win."""
    with db.write() as session:
        # Tickets past their expiry are refused by their signature: their marks can go.
        session.execute(delete(LoginTicket).where(LoginTicket.expires_at < utcnow()))
        insert = (
            _INSERT[db.engine.dialect.name](LoginTicket)
            .values(ticket_id=ticket_id, expires_at=expires_at)
            .on_conflict_do_nothing()
        )
        return session.execute(insert.returning(LoginTicket.ticket_id)).first() is not None
