"""The app server's HTTP layer against real running servers (tests/servers.py start_app), no
browser: deny by default over every route the installed Streamlit has, every spelling of a real
download's address, a fuzzer over paths, and the one-time login ticket across two servers that
share one database. The sessions are driven over Streamlit's own websocket protocol
(tests/protocol.py), the login cookie is fetched with the ticket the page would send."""

from __future__ import annotations

import asyncio

import http.client
import importlib
import os
import pkgutil
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.store.database import Database

from .protocol import BrowserTab, log_in, run_async
from .servers import start_app, stop, wait_healthy

KEY = "g" * 48
COOKIE = "begleiter_cockpit"
GATE_TEXTS = (b"Nur mit g\xc3\xbcltiger Anmeldung", b"Diese Datei gibt es nur")
# What the static files' handler and Streamlit's path check answer on their own: no content.
STATIC_ANSWERS = {
    301: b"",
    307: b"",
    308: b"",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
}
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")


@dataclass
class Servers:
    urls: list[str]
    index: bytes  # the page as served at "/": what any page address may show without a login


@dataclass
class Download:
    path: str  # the address Streamlit gave the file, e.g. /media/<id>.csv
    body: bytes
    own: str  # the Cookie header of the session that made it
    other: str  # a valid session of another user


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Servers]:
    """Two app servers on one SQLite file (the first fills it with the demo world)."""
    folder = tmp_path_factory.mktemp("gateway")
    shutil.copy(_sqlite_template, folder / "app.sqlite3")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite3'}",
        "COOKIE_KEY": KEY,
        "DEMO_DATA": "1",
    }
    env.pop("APP_ENV", None)
    started = [start_app(env, folder / f"app{n}.log") for n in (1, 2)]
    try:
        for n, (url, proc) in enumerate(started, 1):
            wait_healthy(url, proc, folder / f"app{n}.log")
        urls = [url for url, _ in started]
        yield Servers(urls, request(urls[0], "GET", "/")[2])
    finally:
        for _, proc in started:
            stop(proc)


def request(
    base: str,
    method: str,
    path: str,
    cookie: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as written (no client-side normalising)."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**(headers or {}), **({"Cookie": cookie} if cookie else {})}.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def ticket(value: str = "x", jti: str | None = None) -> bytes:
    claims = {
        "aud": "cookie",
        "value": value,
        "max_age": 60,
        "jti": jti or secrets.token_urlsafe(16),
        "exp": datetime.now(UTC) + timedelta(seconds=60),
    }
    return jwt.encode(claims, KEY, algorithm="HS256").encode()


def redeem(base: str, body: bytes) -> tuple[int, str | None]:
    status, headers, _ = request(
        base, "POST", "/_cockpit/anmeldung", body=body, headers={"X-Cockpit": "1"}
    )
    return status, headers.get("set-cookie")


def refused_or_public(status: int, headers: dict[str, str], body: bytes, index: bytes) -> bool:
    """What a request without the right session may get: the gate's refusal (not cached), the
    page itself, or the static layer's own empty answers – never anything a handler behind the
    gate made (a file, Streamlit's "File not found", an upload's or a component's answer)."""
    if status == 403:
        refusal = body.startswith(GATE_TEXTS) or body == b""  # HEAD: the same, without a body
        return refusal and headers.get("cache-control") == "no-store"
    if status == 200:
        return body in (index, b"")  # HEAD has no body
    return status in STATIC_ANSWERS and body in (STATIC_ANSWERS[status], b"")


async def login(base: str, username: str) -> tuple[BrowserTab, str]:
    """A session logged in over the websocket, and its login cookie (fetched with its ticket)."""
    tab = BrowserTab(base)
    runs = [await log_in(tab, username), await tab.run()]
    # The run that completes the login sends the cookie's ticket in a script.
    sent = [
        found.group(1)
        for run in runs
        for html in run.html
        if (found := re.search(r'body: "(ey[^"]+)"', html))
    ]
    assert len(sent) == 1, [run.html for run in runs]
    status, cookie = redeem(base, sent[0].encode())
    assert status == 204 and cookie, status
    return tab, cookie.split(";", 1)[0]


@pytest.fixture(scope="module")
def download(servers: Servers) -> Download:
    """A real file on the server: the lead's case list, made by pressing its download button."""
    base = servers.urls[0]

    async def press() -> tuple[str, str, str]:
        tab, own = await login(base, "leitung")
        other_tab, other = await login(base, "begleiter1")
        shown = await tab.run(page="caseload_import")
        url, problem = await tab.deferred_file(shown.deferred["Fälle als CSV"])
        assert url and not problem, problem
        await tab.close()
        await other_tab.close()
        return urlsplit(url).path, own, other

    path, own, other = run_async(press())
    status, _, body = request(base, "GET", path, own)
    assert status == 200 and b"Nachname" in body  # the session that made it gets it
    return Download(path, body, own, other)


def spellings(path: str) -> list[str]:
    """The same file written as a client or proxy may write it."""
    folder, name = path.rsplit("/", 1)
    file_id, ext = name.split(".", 1) if "." in name else (name, "")
    encoded = "".join(f"%{ord(c):02x}" for c in file_id)
    return [
        path,
        f"{folder}/{file_id}",
        f"{folder}/{file_id}.",
        f"{folder}/{file_id}.x-y",
        f"{folder}/{file_id}.{ext}.{ext}",
        f"{folder}/{file_id}.tar.gz",
        f"{folder}/{file_id}..{ext}",
        f"{folder}/{file_id.upper()}.{ext}",
        f"{folder.upper()}/{name}",
        f"{folder}/{name.upper()}",
        f"{folder}/{encoded}.{ext}",
        f"{folder}/{encoded}",
        f"/%6d%65dia/{name}",
        f"{folder}%2F{name}",
        f"{folder}/{file_id}%2E{ext}",
        f"{folder}/{file_id}%2e",
        f"{folder}/{name};x",
        f"{folder}/{file_id};x.{ext}",
        f"{folder};x/{name}",
        f"/{path}",
        f"{folder}//{name}",
        f"/x/..{path}",
        f"{folder}/../{folder.lstrip('/')}/{name}",
        f"{folder}/./{name}",
        f"/x/%2e%2e{path}",
        f"{path}/",
        f"{path}?download=1",
        f"{path}%00",
        f"{folder}/{file_id}%00.{ext}",
        f"{folder}/{file_id}%20",
        f"{folder}/{file_id}.{ext}%20",
        f"{folder}/./{file_id}.",
    ]


def streamlit_route_paths() -> set[str]:
    """Every route path the installed Streamlit's server modules name (ROUTE_* constants), with
    its parameters filled in: a route a later Streamlit adds is swept too."""
    from streamlit.web.server import starlette as server

    paths = set()
    for module in pkgutil.iter_modules(server.__path__):
        loaded = importlib.import_module(f"{server.__name__}.{module.name}")
        for name, value in vars(loaded).items():
            if "ROUTE" in name and isinstance(value, str) and value.strip("/"):
                paths.add("/" + re.sub(r"\{[^}]+\}", "probe", value.strip("/")))
    assert {"/_stcore/health", "/media/probe", "/_stcore/upload_file/probe/probe"} <= paths
    return paths


PUBLIC = {"/_stcore/health", "/_stcore/host-config", "/_stcore/stream"}


def test_every_route_of_the_installed_streamlit_needs_a_session_unless_public(
    servers: Servers,
) -> None:
    forged = jwt.encode(
        {"username": "leitung", "exp_date": time.time() + 3600}, "x" * 48, algorithm="HS256"
    )
    for path in sorted(streamlit_route_paths() - PUBLIC):
        for method in METHODS:
            for cookie in (None, f"{COOKIE}={forged}", f"{COOKIE}=kaputt"):
                status, headers, body = request(servers.urls[0], method, path, cookie)
                assert refused_or_public(status, headers, body, servers.index), (
                    method,
                    path,
                    status,
                    body[:80],
                )
    for path in PUBLIC - {"/_stcore/stream"}:  # the login page needs these before any login
        assert request(servers.urls[0], "GET", path)[0] == 200, path


def test_every_spelling_of_a_download_reaches_only_its_own_session(
    servers: Servers, download: Download
) -> None:
    for path in spellings(download.path):
        for method in ("GET", "HEAD", "OPTIONS"):
            for cookie in (None, download.other, f"{COOKIE}=kaputt"):
                status, headers, body = request(servers.urls[0], method, path, cookie)
                assert refused_or_public(status, headers, body, servers.index), (
                    method,
                    path,
                    status,
                    body[:80],
                )
                assert download.body[:40] not in body
    # The session that made it still gets it: the refusals above are the gate, not a lost file.
    assert request(servers.urls[0], "GET", download.path, download.own)[2] == download.body


PIECES = st.sampled_from(
    [
        "media",
        "MEDIA",
        "m%65dia",
        "_stcore",
        "metrics",
        "upload_file",
        "component",
        "bidi-components",
        "static",
        "auth",
        "login",
        "agent",
        "..",
        ".",
        "",
        "%2e%2e",
        "%2F",
        ";x",
        "probe",
        "favicon.png",
        "index.html",
        "health",
        "host-config",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.one_of(PIECES, st.text("abcdef0123456789.;%-_~", max_size=8)), min_size=1, max_size=5
    ),
    with_file=st.sampled_from(["", "id", "name"]),
    suffix=st.text(".;%/x-Y0", max_size=4),
    method=st.sampled_from(METHODS),
)
def test_no_path_gets_past_the_gate_without_a_session(
    servers: Servers, download: Download, parts: list[str], with_file: str, suffix: str, method: str
) -> None:
    name = download.path.rsplit("/", 1)[1]
    target = {"": "", "id": name.split(".")[0], "name": name}[with_file]
    path = "/" + "/".join([*parts, target] if target else parts) + suffix
    status, headers, body = request(servers.urls[0], method, path)
    assert refused_or_public(status, headers, body, servers.index), (
        method,
        path,
        status,
        body[:80],
    )
    assert download.body[:40] not in body


def test_a_login_ticket_sets_the_cookie_once_across_servers(servers: Servers) -> None:
    first, second = servers.urls
    for one, other in ((first, second), (second, first)):
        sent = ticket()
        status, cookie = redeem(one, sent)
        assert status == 204 and cookie and cookie.startswith(f"{COOKIE}=x")
        assert redeem(other, sent) == (403, None)  # the other server knows it was used
        assert redeem(one, sent) == (403, None)
    assert redeem(first, ticket(jti="y" * 65))[0] == 403  # longer than any ticket we make


def test_a_ticket_is_redeemed_once_even_when_raced_and_its_mark_goes(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from db.accounts.tickets import redeem as redeem_in
    from db.store.models import LoginTicket

    soon = datetime.now(UTC) + timedelta(seconds=60)
    with ThreadPoolExecutor(4) as pool:  # four servers at the same moment: one wins
        won = list(pool.map(lambda _: redeem_in(db, "same", soon), range(4)))
    assert won.count(True) == 1
    assert redeem_in(db, "gone", datetime.now(UTC) - timedelta(seconds=1))
    assert redeem_in(db, "next", soon)  # clears the expired mark on its way
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoginTicket)) == 2


def test_the_same_file_made_for_two_sessions_reaches_both_and_nobody_else(servers: Servers) -> None:
    """Streamlit names a stored file by its content: two sessions pressing the same button get
    one file (here two logins of the lead, the import template). The second press made the first
    session's fetch fail (the file had one owner, the newest); each session keeps its own."""
    base = servers.urls[0]

    async def press_twice() -> tuple[list[str], list[str], str]:
        tabs, cookies, urls = [], [], []
        for n in range(2):
            if n:  # a second login of the lead (another device): a session of its own, whose
                await asyncio.sleep(2.5)  # login time differs by more than the gate's 2 s
            tab, cookie = await login(base, "leitung")
            tabs.append(tab)
            cookies.append(cookie)
        other_tab, other = await login(base, "begleiter1")
        for tab in tabs:
            shown = await tab.run(page="caseload_import")
            url, problem = await tab.deferred_file(shown.deferred["Vorlage als CSV"])
            assert url and not problem, problem
            urls.append(urlsplit(url).path)
        for tab in [*tabs, other_tab]:
            await tab.close()
        return urls, cookies, other

    urls, cookies, other = run_async(press_twice())
    assert urls[0] == urls[1]  # one file: the case is the one this test is about
    bodies = [request(base, "GET", urls[0], cookie) for cookie in cookies]
    assert [status for status, _, _ in bodies] == [200, 200]
    assert bodies[0][2] == bodies[1][2] and b"Nachname" in bodies[0][2]
    status, headers, body = request(base, "GET", urls[0], other)
    assert refused_or_public(status, headers, body, servers.index) and b"Nachname" not in body
