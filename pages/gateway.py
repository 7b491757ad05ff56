"""The app server's own HTTP layer (st.App): what the server hands out without a page run.

- `/media/…` (downloads, charts as files) only to a request that carries the login cookie of a
  session that is still valid – for a download, of the session it was made for – and never
  cached (`Cache-Control: no-store`). A download is removed from the server once fetched, or
  FETCH_SECONDS after it was made.
- The login cookie is set and deleted by this server's answer, `HttpOnly`: scripts in the page
  never read it (pages/session.py asks for it with a one-time ticket).
- Streamlit's `_streamlit_xsrf` cookie gets `Secure` when COOKIE_SECURE=1.

app.py builds the ASGI app from these when `streamlit run app.py` imports it.
"""

from __future__ import annotations

import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import anyio
import jwt
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.accounts import auth
from db.settings import secure_cookie
from db.store.database import Database
from pages.downloads import done_with, owner_of
from pages.session import COOKIE_EXPIRY_DAYS, COOKIE_NAME, COOKIE_PATH, TICKET_SECONDS, signing_key

COOKIE_EXPIRY = timedelta(days=COOKIE_EXPIRY_DAYS)
_MEDIA = re.compile(r"(?:^|/)media/([0-9a-f]+)(?:\.[A-Za-z0-9]+)?$")
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
_REFUSED = ("Diese Datei gibt es nur für die angemeldete Sitzung, die sie erstellt hat, und nur "
            "kurz nach dem Klick. Bitte im Cockpit anmelden und den Download-Knopf erneut drücken.")

_db: Database | None = None
_db_lock = threading.Lock()


def _database() -> Database:
    global _db
    with _db_lock:
        if _db is None:
            _db = Database.from_url()
        return _db


def session_in(token: str | None) -> tuple[str, datetime] | None:
    """(username, login time) from a login cookie signed with our key, else None."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, signing_key(), algorithms=["HS256"])
        username, expires = claims["username"], float(claims["exp_date"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    if not isinstance(username, str) or expires < time.time():
        return None
    return username, datetime.fromtimestamp(expires, UTC) - COOKIE_EXPIRY


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            if name in jar:
                return jar[name].value
    return None


def _may_fetch(scope: Scope, file_id: str) -> bool:
    login = session_in(_cookie(scope, COOKIE_NAME))
    if login is None:
        return False
    owner = owner_of(file_id)
    if owner is not None:
        if owner.expired:
            done_with(file_id)
            return False
        same = owner.username == login[0] and abs((owner.issued_at - login[1]).total_seconds()) < 2
        if not same:
            return False
    return auth.session_actor(_database(), *login) is not None


class Gate:
    """ASGI middleware in front of Streamlit's own routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        media = _MEDIA.search(scope["path"])
        if media and not await anyio.to_thread.run_sync(_may_fetch, scope, media.group(1)):
            refused = PlainTextResponse(_REFUSED, status_code=403, headers=dict(
                (k.decode(), v.decode()) for k, v in _NO_STORE))
            await refused(scope, receive, send)
            return
        secure = secure_cookie(os.environ)

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not (media and k.lower() in (b"cache-control", b"pragma"))]
                if media:
                    headers += _NO_STORE
                if secure:
                    headers = [(k, v + b"; Secure") if k.lower() == b"set-cookie" and b"secure" not in v.lower()
                               else (k, v) for k, v in headers]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_guarded)


_used_tickets: dict[str, float] = {}
_tickets_lock = threading.Lock()


async def login_cookie(request: Request) -> Response:
    """POST with a ticket from pages/session.py: answer with the login cookie, HttpOnly. DELETE:
    the cookie is removed. Only from the app's own page (a header a form elsewhere cannot send)."""
    if request.headers.get("x-cockpit") != "1":
        return PlainTextResponse("Nicht erlaubt.", status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    secure = secure_cookie(os.environ)
    if request.method == "DELETE":
        response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="strict")
        return response
    try:
        ticket = jwt.decode(await request.body(), signing_key(), algorithms=["HS256"], audience="cookie")
        value, max_age, ticket_id = str(ticket["value"]), int(ticket["max_age"]), str(ticket["jti"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return PlainTextResponse("Ungültig.", status_code=403)
    now = time.time()
    with _tickets_lock:  # each ticket once; forgotten when it could not be used anyway
        for old in [t for t, at in _used_tickets.items() if now - at > 2 * TICKET_SECONDS]:
            del _used_tickets[old]
        if ticket_id in _used_tickets:
            return PlainTextResponse("Ungültig.", status_code=403)
        _used_tickets[ticket_id] = now
    response.set_cookie(COOKIE_NAME, value, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="strict")
    return response


ROUTES = [Route(COOKIE_PATH, login_cookie, methods=["POST", "DELETE"])]
MIDDLEWARE = [Middleware(Gate)]
