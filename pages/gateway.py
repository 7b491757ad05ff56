"""The app server's own HTTP layer (st.App): what the server hands out without a page run.

Deny by default: a request is first resolved to the route Streamlit's own router would give it
(the same routes, in the same order, on the same normalised path), and only a few routes are
public – the page and its static assets, health and host-config, the websocket the page runs
over, and the login-cookie route (which checks its own ticket). Every other route (uploads,
components, metrics, agent and auth routes, /media, and any route a new Streamlit adds) needs
the login cookie of a session that is still valid.

- `/media/…` (downloads) additionally only to the sessions the file was made for, and only
  FETCH_SECONDS after the click; the file is looked up the way Streamlit's media handler looks
  it up, so every spelling of its address is the same file. Streamlit names a file by its
  content: the same bytes made for two sessions are one file, which each may fetch in its own
  FETCH_SECONDS. A file nobody registered as made for a session is served to nobody. Never cached (`Cache-Control: no-store`).
- The login cookie is set and deleted by this server's answer, `HttpOnly`: scripts in the page
  never read it (pages/session.py asks for it with a one-time ticket, redeemed once across all
  app servers: db.accounts.tickets).
- Streamlit's `_streamlit_xsrf` cookie gets `Secure` when COOKIE_SECURE=1.
- `/_cockpit/ready` (public, for monitoring): 200 "bereit" or 503 naming the failed checks of
  db.bootstrap.readiness – only their short names, never a reason, a path or a person.

app.py builds the ASGI app from these when `streamlit run app.py` imports it.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import anyio
import jwt
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.accounts import auth, tickets
from db.bootstrap import readiness
from db.settings import secure_cookie
from db.store.database import Database
from pages.downloads import owners_of, stored_file
from pages.session import COOKIE_EXPIRY_DAYS, COOKIE_NAME, COOKIE_PATH, signing_key

COOKIE_EXPIRY = timedelta(days=COOKIE_EXPIRY_DAYS)
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
_REFUSED = ("Diese Datei gibt es nur für die angemeldete Sitzung, die sie erstellt hat, und nur "
            "kurz nach dem Klick. Bitte im Cockpit anmelden und den Download-Knopf erneut drücken.")
_NOT_LOGGED_IN = "Nur mit gültiger Anmeldung. Bitte im Cockpit anmelden."

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


def _login(scope: Scope) -> tuple[str, datetime] | None:
    """The request's login session, if its cookie is ours and the session is still valid now."""
    login = session_in(_cookie(scope, COOKIE_NAME))
    if login is None or auth.session_actor(_database(), *login) is None:
        return None
    return login


def _may_fetch(scope: Scope, name: str) -> bool:
    """A /media request for `name` (the path parameter Streamlit's handler gets)."""
    file = stored_file(name)
    found = owners_of(file) if file is not None else None
    if not found or not found[1]:  # no such file, one not made for a session, or too late: nobody's
        return False
    login = _login(scope)
    return login is not None and any(owner.username == login[0]
                                     and abs((owner.issued_at - login[1]).total_seconds()) < 2
                                     for owner in found[1])


def _route(scope: Scope) -> tuple[BaseRoute | None, dict]:
    """The route the app's router will hand this request to, and its path parameters: the
    router's own rule (the first full match, else the first partial one: a wrong method)."""
    partial: tuple[BaseRoute | None, dict] = (None, {})
    for route in scope["app"].router.routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            return route, child.get("path_params", {})
        if match == Match.PARTIAL and partial[0] is None:
            partial = (route, child.get("path_params", {}))
    return partial


def _public_paths() -> frozenset[str]:
    """The route paths anyone may ask for: what the login page itself needs to load and run."""
    from streamlit import config
    from streamlit.url_util import make_url_path
    from streamlit.web.server.starlette.starlette_routes import ROUTE_HEALTH, ROUTE_HOST_CONFIG
    from streamlit.web.server.starlette.starlette_websocket import _ROUTE_WEBSOCKET_STREAM

    base = config.get_option("server.baseUrlPath") or ""
    return frozenset([*(make_url_path(base, path) for path in (ROUTE_HEALTH, ROUTE_HOST_CONFIG,
                                                               _ROUTE_WEBSOCKET_STREAM)),
                      COOKIE_PATH, READY_PATH])


def _media_path() -> str:
    from streamlit import config
    from streamlit.url_util import make_url_path
    from streamlit.web.server.starlette.starlette_routes import _ROUTE_MEDIA

    return make_url_path(config.get_option("server.baseUrlPath") or "", _ROUTE_MEDIA)


def needs(scope: Scope) -> tuple[str, str | None]:
    """What a request needs, by the route it will reach: ("public", None), ("media", the file
    name Streamlit's handler will look up) or ("session", None) – the last for every route not
    named here, today's and any a later Streamlit adds."""
    route, params = _route(scope)
    if isinstance(route, Mount) and route.name == "static-assets":
        return "public", None  # the page (index.html at every page address) and its script files
    path = getattr(route, "path", None)
    if path in _public_paths():
        return "public", None
    if path == _media_path():
        return "media", str(params.get("file_id", ""))
    return "session", None


def allowed(scope: Scope, need: str, name: str | None) -> bool:
    """Whether the request carries what it needs (asks the database: run in a worker thread)."""
    if need == "public":
        return True
    if need == "media":
        return name is not None and _may_fetch(scope, name)
    return _login(scope) is not None


class Gate:
    """ASGI middleware in front of Streamlit's own routes: deny by default."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        need, name = needs(scope)
        if need != "public" and not await anyio.to_thread.run_sync(allowed, scope, need, name):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            refused = PlainTextResponse(_REFUSED if need == "media" else _NOT_LOGGED_IN,
                                        status_code=403,
                                        headers={k.decode(): v.decode() for k, v in _NO_STORE})
            await refused(scope, receive, send)
            return
        media = need == "media"
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
        ticket = jwt.decode(await request.body(), signing_key(), algorithms=["HS256"],
                            audience="cookie", options={"require": ["exp", "jti"]})
        value, max_age, ticket_id = str(ticket["value"]), int(ticket["max_age"]), str(ticket["jti"])
        expires = datetime.fromtimestamp(float(ticket["exp"]), UTC)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError, OverflowError):
        return PlainTextResponse("Ungültig.", status_code=403)
    # Once across every app server: the mark that it was used is in the shared database.
    if len(ticket_id) > 64 or not await anyio.to_thread.run_sync(
            tickets.redeem, _database(), ticket_id, expires):
        return PlainTextResponse("Ungültig.", status_code=403)
    response.set_cookie(COOKIE_NAME, value, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="strict")
    return response


READY_PATH = "/_cockpit/ready"


async def ready(request: Request) -> Response:
    """Readiness for monitoring (beside /_stcore/health, which only says the process answers):
    the same checks as `python -m db ready`, with this server's own settings and connection. The
    answer names failed checks only by their short names (datenbank, schema, schluessel,
    datenbankrolle, demo-konten, anker); the reasons are in `python -m db ready`."""
    checks = await anyio.to_thread.run_sync(readiness, _database())
    failed = [check.name for check in checks if not check.ok]
    return PlainTextResponse("nicht bereit: " + ", ".join(failed) if failed else "bereit",
                             status_code=503 if failed else 200,
                             headers={"Cache-Control": "no-store"})


ROUTES = [Route(COOKIE_PATH, login_cookie, methods=["POST", "DELETE"]),
          Route(READY_PATH, ready, methods=["GET"])]
MIDDLEWARE = [Middleware(Gate)]
