"""Servers for tests and benchmarks: app servers (`streamlit run app.py` on a free loopback
port, the wait for their health check, the stop) and throw-away PostgreSQL databases."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from subprocess import Popen

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: Popen, log: Path, seconds: float = 90) -> None:
    """Until the Streamlit server at `url` answers its health check; its log if it dies first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text())
        time.sleep(0.3)


def first_run(url: str, seconds: float = 180) -> None:
    """One script run of the app at `url` (its login page), through Streamlit's own protocol.
    A new server's first run imports the app's modules and prepares the database (the demo);
    on a busy machine that took 25 s, longer than a browser test waits for a page. The browser
    tests start on a server that has done it; the first page a test loads is then an ordinary one."""
    import asyncio

    from .protocol import BrowserTab, run_async

    async def once() -> None:
        tab = BrowserTab(url)
        try:
            shown = await asyncio.wait_for(tab.open(), seconds)
            if shown.exception:
                raise RuntimeError(f"Erster Lauf der App: {shown.exception}")
        finally:
            await tab.close()

    run_async(once())


def unit_command(port: int) -> list[str]:
    """The app unit's ExecStart= for instance `port`, the installation (/opt/begleiter-cockpit)
    being this checkout: what systemd runs, so a test sees the exit status the unit sees."""
    unit = (ROOT / "deploy" / "begleiter-cockpit@.service").read_text(encoding="utf-8")
    line = re.search(r"^ExecStart=(.+)$", unit, flags=re.M).group(1)  # type: ignore[union-attr]
    return shlex.split(line.replace("%i", str(port)).replace("/opt/begleiter-cockpit", str(ROOT)))


def start_app(env: Mapping[str, str], log: Path, *, production: bool = False,
              port: int | None = None) -> tuple[str, Popen]:
    """`streamlit run app.py` with `env` on `port` (a free loopback port by default), its output in
    `log` – or, with `production`, the app unit's own ExecStart= (`python -m db serve`, read from
    deploy/begleiter-cockpit@.service). Returns its address and process; wait_healthy before using it."""
    port = port or free_port()
    command = (unit_command(port) if production else
               [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                "--server.port", str(port), "--server.address", "127.0.0.1"])
    with open(log, "a") as out:  # a restart on the same port keeps the first server's log
        proc = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=production)  # any child goes with it (stop)
    return f"http://127.0.0.1:{port}", proc


def stop(proc: Popen) -> None:
    """Stop a server (and, for the unit's command, its process group); killed if it is not gone after
    20 s (Uvicorn waits for open websockets, and a test's browser may still hold one while its
    fixtures are torn down)."""
    try:
        group = os.getpgid(proc.pid) if proc.poll() is None else None
    except ProcessLookupError:
        group = None
    if group == os.getpgrp():  # started without a group of its own: only the process itself
        group = None
    if group is not None:
        os.killpg(group, signal.SIGTERM)
    else:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        if group is not None:
            os.killpg(group, signal.SIGKILL)
        proc.kill()
        proc.wait(timeout=20)


class PostgresServer:
    """Creates throw-away databases on a PostgreSQL server and drops them again."""

    def __init__(self, url: str, prefix: str = "bc_test") -> None:
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.base_url = make_url(url)
        self.prefix = prefix
        self.created: list[str] = []

    def create_database(self) -> str:
        name = f"{self.prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.admin.dispose()
