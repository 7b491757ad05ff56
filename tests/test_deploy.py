"""The production recipe end to end (`pytest -m deploy`): deploy/nginx-begleiter-cockpit.conf in
front of two app servers on one PostgreSQL database, connected as the application role, over
https with a self-signed certificate – in Chromium, as a user meets it.

The app servers run as deploy/begleiter-cockpit@.service runs them: each `python -m db serve` in the
unit's sandbox, built from the unit file's own settings (tests/unit_sandbox.py: a throw-away
service account, /home hidden, read-only but the data folder, private /tmp, UMask=0077). Where
that sandbox cannot be built (not root, a .venv under /root or /home) they run without it and a
warning says so – in CI that fails.

Everything runs on loopback ports of this machine; nothing is installed system-wide by the test
(nginx runs from a temporary prefix; the service account is removed again). Without nginx the
test is skipped, in CI it fails (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .servers import PostgresServer, free_port, start_app, stop, wait_healthy
from .unit_sandbox import MAINTAIN_UNIT, environment_file_example, unit_sandbox_or_none

pytestmark = [pytest.mark.deploy, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx-begleiter-cockpit.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "Kiefernzapfen-Deich-2026"
# Where users reach nginx: a loopback address Streamlit does not trust by name (it allows
# 127.0.0.1 and localhost whatever the Host header says), on a port that is not 443 – so the
# websocket only connects when nginx passes the Host header with its port.
PUBLIC_ADDRESS = "127.0.0.2"
# Nothing leaves the machine: an app server that cannot match Origin and Host asks
# checkip.amazonaws.com for its external address; here that goes to a closed loopback port.
NO_OUTSIDE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""}


@dataclass
class Deployment:
    url: str  # https through nginx
    http_url: str  # plain http through nginx (redirects)
    servers: list[str]  # the app servers' own addresses (loopback)
    app_url: str  # the application role's database URL
    owner_env: dict[str, str]  # the owner's environment for `python -m db …`
    access_log: Path


def _site_config(tmp: Path, ports: list[int], https_port: int, http_port: int) -> str:
    """The shipped file with this test's ports (the redirect's https port with its listen line),
    certificate and log paths – nothing else changed."""
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("127.0.0.1:8501", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:8502", f"127.0.0.1:{ports[1]}")
    site = site.replace("listen 443 ssl;", f"listen {PUBLIC_ADDRESS}:{https_port} ssl;")
    assert "https://$server_name:443$request_uri" in site  # the redirect names the port it must follow
    site = site.replace("https://$server_name:443$request_uri", f"https://$server_name:{https_port}$request_uri")
    site = site.replace("listen 80;", f"listen {PUBLIC_ADDRESS}:{http_port};")
    site = site.replace("/etc/ssl/begleiter-cockpit/", f"{tmp}/")
    return site.replace("/var/log/nginx/", f"{tmp}/")


def _nginx_main(tmp: Path) -> str:
    return f"""
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    access_log off;
    include {tmp}/site.conf;
}}
"""


@pytest.fixture
def deployment(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Deployment]:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx fehlt (in CI installiert .ci/run das Paket nginx)")
        pytest.skip("nginx nicht installiert (apt-get install nginx)")
    # The database administrator's part (README, Betrieb): an owner role with CREATEROLE – no
    # superuser – and an empty database that belongs to it.
    admin_url = postgres_server.create_database()
    database = make_url(admin_url).database
    owner_role, role = f"bc_owner_{database[-10:]}", f"bc_app_{database[-10:]}"
    with postgres_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner_role}" LOGIN CREATEROLE'))
        conn.execute(text(f'ALTER DATABASE "{database}" OWNER TO "{owner_role}"'))
    owner_url = make_url(admin_url).set(username=owner_role).render_as_string(hide_password=False)
    app_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
    base_env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "DEMO_DATA", "COOKIE_SECURE")}
    procs: list[subprocess.Popen] = []
    # Stopped before the sandbox goes (its account removed, its folders back to root).
    with unit_sandbox_or_none(tmp_path / "installation") as sandbox:
        try:
            # The anchor where deploy/env.example puts it: in the unit's data folder, made by root for
            # the service account (README, step 1) – the same file in env and owner.env (step 3).
            if sandbox is not None:
                anchor = sandbox.path(environment_file_example()["AUDIT_ANCHOR_FILE"])
                anchor.touch(mode=0o600)
                sandbox.hand_over(anchor)
            else:
                anchor = tmp_path / "anker.log"
            # The owner migrates, makes the application role (again after every update, with and
            # without its password) and the first administrator – as in the README.
            owner_env = {**base_env, "DATABASE_URL": owner_url, "APP_ENV": "production",
                         "AUDIT_ANCHOR_FILE": str(anchor)}
            for args, secret in ((["migrate"], None),
                                 (["setup-roles", "--app-role", role, "--password-stdin"], "App-Rolle-2026"),
                                 (["setup-roles", "--app-role", role], None),
                                 (["create-user", "--username", "admin", "--name", "Erste Administration",
                                   "--role", "admin", "--password-stdin"], PASSWORD)):
                done = subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=owner_env,
                                      capture_output=True, text=True, input=secret)
                assert done.returncode == 0, (args, done.stderr)

            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", f"/CN={PUBLIC_ADDRESS}", "-keyout", str(tmp_path / "key.pem"),
                            "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)

            app_env = {**base_env, "APP_ENV": "production", "DATABASE_URL": app_url, "COOKIE_KEY": "d" * 48,
                       "COOKIE_SECURE": "1", "DEMO_DATA": "0", "AUDIT_ANCHOR_FILE": str(anchor), **NO_OUTSIDE}
            servers = []
            for n in range(2):  # two instances of the unit (its command: `python -m db serve`)
                log = tmp_path / f"app-{n}.log"
                if sandbox is not None:  # the machine's time zone; no way out of it (NO_OUTSIDE)
                    url, proc = sandbox.start(app_env, log, machine={"TZ": os.environ["TZ"], **NO_OUTSIDE})
                else:
                    url, proc = start_app(app_env, log, production=True)
                procs.append(proc)
                servers.append(url)
                wait_healthy(url, proc, log)
            ports = [int(url.rsplit(":", 1)[1]) for url in servers]

            https_port, http_port = free_port(), free_port()
            (tmp_path / "site.conf").write_text(_site_config(tmp_path, ports, https_port, http_port))
            (tmp_path / "nginx.conf").write_text(_nginx_main(tmp_path))
            nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            procs.append(nginx)
            url = f"https://{PUBLIC_ADDRESS}:{https_port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    _get(f"{url}/_stcore/health")
                    break
                except OSError:
                    if nginx.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError((tmp_path / "nginx-error.log").read_text()) from None
                    time.sleep(0.2)
            yield Deployment(url=url, http_url=f"http://{PUBLIC_ADDRESS}:{http_port}", servers=servers,
                             app_url=app_url, owner_env=owner_env,
                             access_log=tmp_path / "begleiter-cockpit.access.log")
        finally:
            for proc in reversed(procs):
                stop(proc)
            postgres_server.drop_database(admin_url)
            with postgres_server.admin.connect() as conn:
                for name in (role, owner_role):
                    conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_UNVERIFIED), _NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _routes_to_each_server(deployment: Deployment) -> list[str]:
    """Route cookie values that nginx sends to the first and to the second app server (read
    off its access log, which names the upstream of every request)."""
    found: dict[str, str] = {}
    for n in range(200):
        value = f"route{n}"
        _get(f"{deployment.url}/?probe={value}", cookie=f"bc_route={value}")
        time.sleep(0.05)
        log = deployment.access_log.read_text()
        match = re.search(rf"probe={value}\S* HTTP/[\d.]+\" \d+ \d+ upstream=(\S+) ", log)
        if match:
            found.setdefault(match.group(1), value)
        if len(found) == 2:
            return list(found.values())
    raise AssertionError(f"nginx verteilt nicht auf beide Server: {found}")


def referrals_tile(page):  # type: ignore[no-untyped-def]
    """The value of the Lagebild's tile "Zuweisungen im laufenden Monat"."""
    label = page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(r"^Zuweisungen im laufenden Monat"))
    return page.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")


def test_behind_nginx_two_servers_one_database(deployment: Deployment, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Security headers on every page, https only, metrics closed.
    status, headers, _ = _get(deployment.url + "/")
    assert status == 200
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert "connect-src 'self';" in headers["Content-Security-Policy"]  # the websocket on any port
    assert not deployment.url.endswith(":443")  # … and this test's is not the default one
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert "bc_route=" in headers.get("Set-Cookie", "") and "Secure" in headers["Set-Cookie"]
    assert _get(deployment.url + "/_stcore/metrics")[0] == 404
    # Not even on loopback without a login: the gateway serves only its short public list.
    assert _get(deployment.servers[0] + "/_stcore/metrics")[0] == 403
    assert _get(deployment.url + "/_stcore/health")[2] == b"ok"
    # Readiness on each app server (monitoring on this machine): database, schema, keys, role,
    # no demo account, the anchor at the log's head.
    for server in deployment.servers:
        assert _get(server + "/_cockpit/ready")[:3:2] == (200, b"bereit"), server
    status, headers, _ = _get(deployment.http_url + "/")
    # To the https port nginx listens on, whichever it is (not to 443 by default).
    assert status == 301 and headers["Location"] == f"https://cockpit.example:{deployment.url.rsplit(':', 1)[1]}/", headers
    assert "includeSubDomains" in _get(deployment.url + "/")[1]["Strict-Transport-Security"]
    # The redirect goes to the configured name, whatever Host a request claims; no version.
    forged = urllib.request.Request(deployment.http_url + "/x", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(_NoRedirect).open(forged, timeout=10)
    moved = redirect.value
    assert moved.code == 301 and "evil.example" not in moved.headers["Location"], moved.headers["Location"]
    assert moved.headers["Server"] == "nginx", moved.headers["Server"]  # server_tokens off
    # TLS: forward secrecy only – a client offering only RSA key exchange or CBC gets no session.
    port = int(deployment.url.rsplit(":", 1)[1])
    for weak in ("AES128-GCM-SHA256", "AES256-SHA", "ECDHE-RSA-AES128-SHA"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(weak)
        with pytest.raises(ssl.SSLError):
            with socket.create_connection((PUBLIC_ADDRESS, port), timeout=10) as raw:
                context.wrap_socket(raw).close()
    with socket.create_connection((PUBLIC_ADDRESS, port), timeout=10) as raw:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with context.wrap_socket(raw) as tls:
            assert tls.cipher()[0].startswith("ECDHE-"), tls.cipher()

    route_a, route_b = _routes_to_each_server(deployment)
    host = deployment.url.split("//", 1)[1].split(":")[0]
    # The session's Chromium (conftest.browser): one Playwright per test process.

    blocked: list[str] = []

    def session(route: str, username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(ignore_https_errors=True, locale="de-DE",
                                      viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "bc_route", "value": route, "domain": host, "path": "/",
                              "secure": True, "httpOnly": True, "sameSite": "Strict"}])
        page = context.new_page()
        # The shipped CSP on a port other than 443: any request it blocks (the websocket first) fails.
        page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
        page.set_default_timeout(30_000)
        page.goto(deployment.url)
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("button", name="Abmelden").wait_for()
        return context, page

    # The first administrator logs in (server A) and is first asked for an own password.
    admin_context, admin = session(route_a, "admin")
    admin.get_by_role("heading", level=1, name="Mein Konto").wait_for()
    admin_context.close()
    # Accounts made on the command line while both servers run log in at once, on either
    # server – no credential set cached until a restart.
    for username, name, account_role in (("leitung", "Lena Leitung", "lead"),
                                         ("fallmanager", "Franz Fall", "case_manager")):
        made = subprocess.run([sys.executable, "-m", "db", "create-user", "--username", username, "--name", name,
                               "--role", account_role, "--password-stdin"], input=PASSWORD,
                              cwd=ROOT, env=deployment.owner_env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
    # Accounts made by the administration ask for a new password at the first login; that
    # step has its own tests – here both start on their role's first page.
    owner = create_engine(deployment.owner_env["DATABASE_URL"])
    with owner.begin() as conn:
        conn.execute(text("UPDATE users SET must_change_password = false WHERE username <> 'admin'"))
    owner.dispose()

    # The lead on server B sees no referral yet …
    lead_context, lead = session(route_b, "leitung")
    lead.get_by_role("heading", level=1, name="Lagebild").wait_for()
    lead.get_by_text("Zuweisungen im laufenden Monat").first.wait_for()
    assert referrals_tile(lead).inner_text().startswith("0")

    # … the case manager refers somebody through server A …
    manager_context, manager = session(route_a, "fallmanager")
    manager.get_by_role("heading", level=1, name="Zuweisungen").wait_for()
    manager.get_by_label("Kundennummer", exact=True).fill("DEP-1")
    manager.get_by_label("Vorname", exact=True).fill("Dora")
    manager.get_by_label("Nachname", exact=True).fill("Deploy")
    manager.get_by_label("Wohnort", exact=True).fill("Forst (Lausitz)")
    manager.get_by_role("button", name="Zuweisen").click()
    manager.get_by_text("Zuweisung von Dora Deploy gespeichert.").first.wait_for()
    cookie = next(c for c in manager_context.cookies() if c["name"] == "begleiter_cockpit")
    assert cookie["secure"] and cookie["httpOnly"]  # only over https, never readable by scripts
    assert "begleiter_cockpit" not in manager.evaluate("document.cookie")
    assert next(c for c in manager_context.cookies() if c["name"] == "_streamlit_xsrf")["secure"]
    # Files only with a login cookie, never cached on the way – however nginx passes the address
    # on (tests/test_gateway.py sweeps every spelling against a real file, directly).
    fake = "0" * 32
    for path in (f"/media/{fake}.csv", f"/media/{fake}.", f"/media/{fake}.x-y",
                 f"/media/{fake}.csv.csv", f"/media/{fake};x", "/media/" + "%30" * 32,
                 f"/media//{fake}", f"/x/../media/{fake}",
                 "/component/x/index.html"):
        status, headers, _ = _get(f"{deployment.url}{path}")
        assert status in (400, 403), (path, status)  # 400: Streamlit's own check of ".." paths
        named = {k.lower(): v for k, v in headers.items()}
        assert status == 400 or named["cache-control"] == "no-store", (path, headers)

    # … and the Lagebild on server B counts it within a minute (issue 42: the lead's figures are
    # shown from the shared count, recounted at most once a minute): reloaded until it does.
    deadline = time.monotonic() + 90
    while True:
        lead.reload()
        lead.get_by_role("heading", level=1, name="Lagebild").wait_for()
        tile = referrals_tile(lead)
        tile.first.wait_for()
        if re.match(r"^1", tile.first.inner_text().strip()) or time.monotonic() > deadline:
            break
        lead.wait_for_timeout(5_000)
    referrals_tile(lead).filter(has_text=re.compile(r"^1")).wait_for()
    manager_context.close()
    lead_context.close()
    assert not blocked, blocked

    # Each session stayed on its server: every websocket of route A went to one upstream,
    # every one of route B to the other.
    log = deployment.access_log.read_text()
    upstreams = {route: set(re.findall(rf"_stcore/stream\S* HTTP/[\d.]+\" \d+ \d+ upstream=(\S+) route={route} ", log))
                 for route in (route_a, route_b)}
    assert len(upstreams[route_a]) == len(upstreams[route_b]) == 1, upstreams
    assert upstreams[route_a] != upstreams[route_b]

    # An erasure, then the hourly maintenance as its unit runs it (deploy/begleiter-cockpit-maintain.service
    # in its own sandbox, as an account of its own – not the app servers' – that cannot read the anchor
    # file): within 25 hours of an erasure it rewrites the erased tables as their owner.
    erased = subprocess.run([sys.executable, "-m", "db", "erase-person", "--client-number", "DEP-1", "--yes"],
                            cwd=ROOT, env=deployment.owner_env, capture_output=True, text=True)
    assert erased.returncode == 0, erased.stdout + erased.stderr
    with unit_sandbox_or_none(tmp_path / "maintain", MAINTAIN_UNIT) as sandbox:
        if sandbox is not None:
            maintained = sandbox.run(deployment.owner_env)
        else:
            maintained = subprocess.run([sys.executable, "-m", "db", "maintain"], cwd=ROOT, env=deployment.owner_env,
                                        capture_output=True, text=True)
    assert maintained.returncode == 0, maintained.stdout + maintained.stderr
    assert "Tabellen bereinigt" in maintained.stdout and "Traceback" not in maintained.stderr, maintained.stderr

    # The application role cannot rewrite the audit log.
    engine = create_engine(deployment.app_url)
    try:
        for attack in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with engine.connect() as conn, pytest.raises(Exception, match="(?i)permission denied"):
                conn.execute(text(attack))
    finally:
        engine.dispose()


def test_a_postgres_backup_restores_to_a_working_database(postgres_server: PostgresServer,
                                                          tmp_path: Path) -> None:
    """The README's backup and restore, as written: `python -m db backup` (pg_dump, custom
    format, 0600 whatever the umask) as the owner, a new empty database of the owner,
    `pg_restore --no-owner --no-acl`, `setup-roles`; then the log verifies against the anchor
    file kept beside the backup, every row is back, and the application role is ready on it."""
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        if os.environ.get("CI"):
            pytest.fail("pg_dump/pg_restore fehlen (Paket postgresql-client)")
        pytest.skip("pg_dump/pg_restore nicht installiert")
    source = postgres_server.create_database()
    suffix = make_url(source).database[-10:]
    owner_role, role, restored_name = f"bc_owner_{suffix}", f"bc_app_{suffix}", f"{make_url(source).database}_neu"
    restored = make_url(source).set(database=restored_name).render_as_string(hide_password=False)
    with postgres_server.admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner_role}" LOGIN CREATEROLE'))
        conn.execute(text(f'ALTER DATABASE "{make_url(source).database}" OWNER TO "{owner_role}"'))
    as_owner = lambda url: make_url(url).set(username=owner_role).render_as_string(hide_password=False)  # noqa: E731
    anchor = tmp_path / "anker.log"
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "DEMO_DATA", "COOKIE_KEY")}
    env.update(APP_ENV="production", DATABASE_URL=as_owner(source), AUDIT_ANCHOR_FILE=str(anchor))

    def db(*args: str, url: str | None = None, umask: int = 0o077,
           secret: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, umask=umask, text=True, input=secret,
                              env={**env, **({"DATABASE_URL": url} if url else {})}, capture_output=True)

    try:
        for args, secret in ((["migrate"], None),
                             (["setup-roles", "--app-role", role, "--password-stdin"], "App-Rolle-2026"),
                             (["create-user", "--username", "admin", "--name", "Erste Administration", "--role",
                               "admin", "--password-stdin"], PASSWORD),
                             (["create-user", "--username", "leitung", "--name", "Lena Leitung", "--role",
                               "lead", "--password-stdin"], PASSWORD)):
            done = db(*args, secret=secret)
            assert done.returncode == 0, (args, done.stderr)
        dump = tmp_path / "sicherung" / "cockpit.dump"
        dump.parent.mkdir(mode=0o700)
        made = db("backup", str(dump), umask=0o022)  # 0600 even under a lax umask
        assert made.returncode == 0, made.stderr
        assert dump.stat().st_mode & 0o777 == 0o600
        assert "Protokoll darin bis Eintrag" in made.stdout
        for part in ("AUDIT_KEY", "COOKIE_KEY", "Ankerdatei", "Barrierefreiheit"):
            assert part in made.stdout, part  # what else belongs to a backup
        assert dump.read_bytes().startswith(b"PGDMP")  # custom format: pg_restore reads it
        # No part left over; beside it the anchor as of the backup (what a restore verifies against).
        assert sorted(p.name for p in dump.parent.iterdir()) == ["cockpit.dump", "cockpit.dump.anker.log"]
        assert (dump.parent / "cockpit.dump.anker.log").stat().st_mode & 0o777 == 0o600
        # German refusals, nothing written: a missing folder, a database pg_dump cannot reach.
        missing = db("backup", str(tmp_path / "fehlt" / "x.dump"))
        assert missing.returncode == 1 and "Der Ordner" in missing.stderr and "fehlt" in missing.stderr
        unreachable = make_url(as_owner(source)).set(database="gibt_es_nicht").render_as_string(hide_password=False)
        gone = db("backup", str(dump.parent / "y.dump"), url=unreachable)
        assert gone.returncode == 1 and "Die Datenbank ist nicht erreichbar" in gone.stderr, gone.stderr
        assert "Traceback" not in gone.stderr
        # pg_dump itself fails (here: one older than the server): its reason, in German words.
        fake = tmp_path / "bin"
        fake.mkdir()
        (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server "
                                      "version mismatch' >&2\nexit 1\n")
        (fake / "pg_dump").chmod(0o755)
        env_path = env["PATH"]
        env["PATH"] = f"{fake}:{env_path}"
        refused = db("backup", str(dump))
        env["PATH"] = env_path
        assert refused.returncode == 1 and "pg_dump ist gescheitert" in refused.stderr, refused.stderr
        assert "mindestens die Version des Servers" in refused.stderr
        assert sorted(p.name for p in dump.parent.iterdir()) == ["cockpit.dump", "cockpit.dump.anker.log"]  # kept

        # Restore as in the README: a new empty database of the owner, pg_restore as the owner.
        with postgres_server.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{restored_name}" OWNER "{owner_role}"'))
        subprocess.run(["pg_restore", "--no-owner", "--no-acl", "-d", _libpq(as_owner(restored)), str(dump)],
                       check=True, capture_output=True)
        counts = {}
        for url in (source, restored):
            engine = create_engine(url)
            with engine.connect() as conn:
                counts[url] = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                               for table in ("users", "audit_log")]
            engine.dispose()
        assert counts[source] == counts[restored] and counts[restored][1] > 0
        # The app works on after the backup: the live anchor file then ends later than the backup.
        assert db("create-user", "--username", "spaeter", "--name", "Nach der Sicherung", "--role",
                  "admin", "--password-stdin", secret=PASSWORD).returncode == 0
        # As the README: the restored installation goes on with a copy of the backup's anchor.
        shutil.copy(dump.parent / "cockpit.dump.anker.log", tmp_path / "anker-neu.log")
        env["AUDIT_ANCHOR_FILE"] = str(tmp_path / "anker-neu.log")
        for args in (["setup-roles", "--app-role", role],
                     ["verify-audit", "--anchor", str(dump.parent / "cockpit.dump.anker.log")]):
            done = db(*args, url=as_owner(restored))
            assert done.returncode == 0, (args, done.stdout + done.stderr)
        app_url = make_url(restored).set(username=role, password="App-Rolle-2026").render_as_string(hide_password=False)
        ready = subprocess.run([sys.executable, "-m", "db", "ready"], cwd=ROOT, capture_output=True, text=True,
                               env={**env, "DATABASE_URL": app_url, "COOKIE_KEY": "r" * 48})
        assert ready.returncode == 0 and "Bereit." in ready.stdout, ready.stdout + ready.stderr
    finally:
        postgres_server.drop_database(source)
        postgres_server.drop_database(restored)
        with postgres_server.admin.connect() as conn:
            for name in (role, owner_role):
                conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
