"""The systemd units as shipped (deploy/): they verify, and the app server runs when the
account's home is unreadable – as under the unit's ProtectHome=true, where Streamlit's secrets
loader used to answer every request with HTTP 500 (PermissionError on ~/.streamlit/secrets.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from .servers import ROOT, start_app, stop, wait_healthy
from .unit_sandbox import MAINTAIN_UNIT, NOT_SANDBOX, OWNER_ENV, REPRODUCED, UNIT, UnitSandbox, unit_sandbox, unit_settings

UNITS = sorted((ROOT / "deploy").glob("*.service"))


_settings = unit_settings


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_every_service_has_its_home_in_the_project(unit: Path) -> None:
    """Sandboxed (ProtectHome) and HOME where the service works: nothing looks in /home."""
    settings = _settings(unit)
    assert settings["ProtectHome"] == ["true"]
    assert f"HOME={settings['WorkingDirectory'][0]}" in settings.get("Environment", []), unit.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"--home-dir {settings['WorkingDirectory'][0]} --no-create-home" in readme


# What shapes a unit's sandbox (tests/unit_sandbox.py reproduces each): alike in every unit.
SANDBOX = ("UMask", "NoNewPrivileges", "PrivateTmp", "ProtectSystem", "ProtectHome")


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_no_unit_with_the_owner_s_password_runs_as_the_app_servers_account(unit: Path) -> None:
    """Every process of one user may read the others' /proc/<pid>/environ: a unit that holds the
    database owner's environment file (its DATABASE_URL, the owner's password) runs as an account
    of its own – named, not root, not the app servers' – or code in an app server reads the
    password. Every unit is sandboxed as the app servers are."""
    settings, app = _settings(unit, "Service"), _settings(UNIT, "Service")
    holds_owner = OWNER_ENV in [file.lstrip("-") for file in settings.get("EnvironmentFile", [])]
    if holds_owner:
        assert settings.get("User") and settings["User"] != app["User"], (unit.name, settings.get("User"))
        assert settings["User"][0] not in ("root", "0") and settings.get("Group", settings["User"]) != app["Group"]
        assert "DynamicUser" not in settings  # the account the README makes (useradd) and the tests stand in for
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert f"--no-create-home --shell /usr/sbin/nologin {settings['User'][0]}\n" in readme, settings["User"]
    for key in SANDBOX:
        assert settings.get(key) == app.get(key), (unit.name, key, settings.get(key), app.get(key))
    assert set(settings) <= REPRODUCED | NOT_SANDBOX, (unit.name, set(settings) - REPRODUCED - NOT_SANDBOX)


def test_a_refused_setting_stops_the_unit_and_a_late_database_does_not() -> None:
    """The start check's statuses are the unit's: a refused setting (REFUSED_EXIT) is never
    restarted, so the unit is "failed" at once; a database that is not up yet (NOT_YET_EXIT) is
    retried, never so quickly that the start limit ends the waiting: StartLimitBurst= restarts
    RestartSec= apart take longer than StartLimitIntervalSec= (tests/test_preflight.py: which
    status each case gives)."""
    from db.bootstrap import NOT_YET_EXIT, REFUSED_EXIT

    service, unit = _settings(UNIT, "Service"), _settings(UNIT, "Unit")
    assert service["RestartPreventExitStatus"] == [str(REFUSED_EXIT)]
    assert str(NOT_YET_EXIT) not in " ".join(service["RestartPreventExitStatus"] + service.get("SuccessExitStatus", []))
    assert service["Restart"] == ["on-failure"]  # 75 is a failure: restarted
    burst, interval = int(unit["StartLimitBurst"][0]), int(unit["StartLimitIntervalSec"][0])
    assert burst * int(service["RestartSec"][0]) > interval, (burst, service["RestartSec"], interval)
    # The unit's main process is the start check itself: no wrapper (make, a shell) that would
    # replace its status with its own.
    assert service["ExecStart"][0].split()[:4] == ["/opt/begleiter-cockpit/.venv/bin/python", "-m", "db", "serve"]


def test_the_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze fehlt (Paket systemd)")
    for unit in (ROOT / "deploy").glob("begleiter-cockpit*"):
        # Only the interpreter's path differs here (no installation under /opt).
        text = unit.read_text(encoding="utf-8").replace("/opt/begleiter-cockpit/.venv/bin/python",
                                                        sys.executable)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = [str(tmp_path / "begleiter-cockpit@8501.service"),
             str(tmp_path / "begleiter-cockpit-maintain.service"),
             str(tmp_path / "begleiter-cockpit-maintain.timer")]
    done = subprocess.run([analyze, "verify", "--man=no", *names], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), \
        done.stdout + done.stderr


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_app_server_never_reads_the_home(tmp_path: Path) -> None:
    """The unit's command with a home that cannot be read: as under ProtectHome=true for the service
    account (mode 000), and – because root ignores file modes – its ~/.streamlit/secrets.toml a
    directory, which fails to open the same way (OSError, not "file missing"). Health and the
    login page answer 200."""
    home = tmp_path / "home"
    (home / ".streamlit" / "secrets.toml").mkdir(parents=True)
    home.chmod(0)
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "COOKIE_KEY")}
    env.update(HOME=str(home), DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}", DEMO_DATA="0")
    log = tmp_path / "serve.log"
    url, proc = start_app(env, log, production=True)  # the unit's command
    try:
        wait_healthy(url, proc, log)
        assert _get(f"{url}/_stcore/health") == 200
        assert _get(f"{url}/") == 200
    finally:
        stop(proc)
        home.chmod(0o700)
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_the_sandbox_is_built_from_the_unit_file(tmp_path: Path) -> None:
    """tests/unit_sandbox.py holds no copy of the unit's settings: a changed setting changes the
    sandbox the tests start servers in, and a setting it does not reproduce fails them."""
    shipped = UNIT.read_text(encoding="utf-8")

    def script(text: str) -> str:
        unit = tmp_path / "geaendert@.service"
        unit.write_text(text, encoding="utf-8")
        return UnitSandbox(unit_settings(unit, "Service"), "konto", tmp_path).script("8501")

    def changed(old: str, new: str) -> str:
        assert old in shipped, old
        return script(shipped.replace(old, new))

    built = script(shipped)
    for part in ("mount -t tmpfs -o mode=000 tmpfs /home", "mount -t tmpfs -o mode=1777 tmpfs /tmp",
                 "mount -o remount,bind,ro /\n", f"mount --bind {tmp_path}/opt/begleiter-cockpit/data",
                 f"cd {ROOT}\n", "umask 0077\n", "--reuid=konto", "--no-new-privs",
                 "-m db serve --port 8501 --address 127.0.0.1"):
        assert part in built, part
    maintain = UnitSandbox(unit_settings(MAINTAIN_UNIT, "Service"), "konto", tmp_path).script("")
    for part in ("mount -t tmpfs -o mode=000 tmpfs /home", "mount -o remount,bind,ro /\n", "--reuid=konto",
                 "--no-new-privs", "-m db maintain"):
        assert part in maintain, part  # the maintenance unit in its own sandbox (tests/test_deploy.py runs it)
    assert "umask 0027\n" in changed("UMask=0077", "UMask=0027")
    assert "--no-new-privs" not in changed("NoNewPrivileges=true", "NoNewPrivileges=false")
    assert "tmpfs /tmp" not in changed("PrivateTmp=true", "PrivateTmp=false")
    assert "tmpfs /home" not in changed("ProtectHome=true", "ProtectHome=false")
    full = changed("ProtectSystem=strict", "ProtectSystem=full")
    assert "mount -o remount,bind,ro /etc" in full and "mount -o remount,bind,ro /\n" not in full
    more = changed("ReadWritePaths=/opt/begleiter-cockpit/data", "ReadWritePaths=/opt/begleiter-cockpit/data /var/lib/bc")
    assert f"mount --bind {tmp_path}/var/lib/bc /mnt/1" in more
    for old, new, named in (("[Service]", "[Service]\nPrivateDevices=true", "PrivateDevices"),
                            ("ProtectSystem=strict", "ProtectSystem=yes", "ProtectSystem=yes"),
                            ("ExecStart=/opt", "ExecStart=-/opt", "ExecStart"),
                            ("--port %i", "--port %I", "%I")):
        with pytest.raises(ValueError, match=named):
            changed(old, new)


def test_the_app_server_runs_in_the_unit_s_sandbox(tmp_path: Path) -> None:
    """`python -m db serve` as the unit runs it (tests/unit_sandbox.py, from the unit file's own settings):
    as a system account of its own (HOME in the project, no home under /home), /home hidden,
    everything read-only but the data directory, a private /tmp, UMask=0077, no new privileges.
    Health, the login page over Streamlit's protocol and readiness answer; what the server writes
    is 0600. Skipped where the sandbox cannot be built – in CI that fails."""
    from .protocol import BrowserTab, Run, run_async
    from .test_preflight import _installation

    settings = _settings(UNIT)
    assert {"ProtectSystem": ["strict"], "PrivateTmp": ["true"], "UMask": ["0077"], "NoNewPrivileges": ["true"],
            "ProtectHome": ["true"]}.items() <= settings.items()
    proc = None
    with unit_sandbox(tmp_path) as sandbox:
        data = sandbox.path(settings["ReadWritePaths"][0])
        env = _installation(data)  # production settings, its SQLite database and anchor in data/
        env.pop("ACCESSIBILITY_STATEMENT", None)
        sandbox.hand_over(data)
        log = tmp_path / "sandbox.log"
        try:
            url, proc = sandbox.start(env, log)
            assert sandbox.environment(env, "1", {})["HOME"] == str(ROOT)
            wait_healthy(url, proc, log)
            assert _get(f"{url}/_stcore/health") == 200
            assert _get(f"{url}/") == 200
            assert _get(f"{url}/_cockpit/ready") == 200, log.read_text()

            async def login_page() -> Run:
                tab = BrowserTab(url)
                try:
                    return await tab.open()
                finally:
                    await tab.close()

            page = run_async(login_page())  # the login form, drawn by a script run in the sandbox
            assert page.exception is None and {"Benutzername", "Passwort"} <= set(page.widgets), page.summary()
        finally:
            if proc is not None:
                stop(proc)
        said = log.read_text(encoding="utf-8")
        assert "Startprüfung bestanden." in said and "Traceback" not in said, said
        assert "SANDBOX:" not in said, said
        for path in data.iterdir():  # written by the service account, readable by it only
            assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
            assert path.owner() == sandbox.account, path


def test_the_sandboxed_service_gets_nothing_of_the_runner_s_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As under systemd: the service's environment is systemd's own variables, the unit's
    Environment= and its EnvironmentFile's keys – a proxy, TZ or PYTHONPATH of the test runner
    (here set in the runner and in the settings handed over, as the tests build them from
    os.environ) never reaches it; only what a test names as the machine's."""
    import types

    from . import unit_sandbox as module

    leaks = {"HTTP_PROXY": "http://runner-proxy:3128", "HTTPS_PROXY": "http://runner-proxy:3128",
             "no_proxy": "intern", "TZ": "Pacific/Kiritimati", "PYTHONPATH": "/runner", "LANG": "C.UTF-8"}
    for key, value in leaks.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(module.pwd, "getpwnam", lambda name: types.SimpleNamespace(pw_dir=str(ROOT),
                                                                                  pw_shell="/usr/sbin/nologin"))
    started: list[dict[str, str]] = []
    monkeypatch.setattr(module.subprocess, "Popen", lambda *args, env, **kwargs: started.append(env))
    for unit in UNITS:
        sandbox = UnitSandbox(unit_settings(unit, "Service"), "konto", tmp_path)
        settings = {**os.environ, "DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/db", "COOKIE_KEY": "k" * 48}
        sandbox.start(settings, tmp_path / "log", port=8501)
        sandbox.start(settings, tmp_path / "log", port=8501, machine={"TZ": "Europe/Berlin"})
        given, with_machine = started[-2:]
        allowed = {"PATH", "USER", "LOGNAME", "HOME", "SHELL", *module.environment_file_keys_of(unit)}
        assert set(given) <= allowed, (unit.name, set(given) - allowed)
        assert not set(leaks) & set(given) and given["DATABASE_URL"].startswith("postgresql"), unit.name
        assert with_machine == {**given, "TZ": "Europe/Berlin"}
