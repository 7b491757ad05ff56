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

UNITS = sorted((ROOT / "deploy").glob("*.service"))


def _settings(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_every_service_has_its_home_in_the_project(unit: Path) -> None:
    """Sandboxed (ProtectHome) and HOME where the service works: nothing looks in /home."""
    settings = _settings(unit)
    assert settings["ProtectHome"] == ["true"]
    assert f"HOME={settings['WorkingDirectory'][0]}" in settings.get("Environment", []), unit.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"--home-dir {settings['WorkingDirectory'][0]} --no-create-home" in readme


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
    """`make serve` with a home that cannot be read: as under ProtectHome=true for the service
    account (mode 000), and – because root ignores file modes – its ~/.streamlit/secrets.toml a
    directory, which fails to open the same way (OSError, not "file missing"). Health and the
    login page answer 200."""
    home = tmp_path / "home"
    (home / ".streamlit" / "secrets.toml").mkdir(parents=True)
    home.chmod(0)
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "COOKIE_KEY")}
    env.update(HOME=str(home), DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}", DEMO_DATA="0")
    log = tmp_path / "serve.log"
    url, proc = start_app(env, log, production=True)  # `make serve`, the unit's command
    try:
        wait_healthy(url, proc, log)
        assert _get(f"{url}/_stcore/health") == 200
        assert _get(f"{url}/") == 200
    finally:
        stop(proc)
        home.chmod(0o700)
    assert "Traceback" not in log.read_text(encoding="utf-8")


# The unit's sandbox, approximated where PID 1 is not systemd: a mount namespace (unshare) with
# the unit's settings, then the unit's command as its service account. Each line says which
# setting of deploy/begleiter-cockpit@.service it stands for.
SANDBOX = r"""
set -eu
mount --make-rprivate /
mount --bind "$DATA" "$STAGE"                  # ReadWritePaths: kept across the private /tmp
mount -t tmpfs -o mode=1777 tmpfs /tmp          # PrivateTmp=true
mkdir -p "$DATA"
mount --move "$STAGE" "$DATA"
mount -t tmpfs -o mode=755 tmpfs /home          # ProtectHome=true: /home, /root empty
mount -t tmpfs -o mode=700 tmpfs /root
awk '{print $5}' /proc/self/mountinfo | while read -r point; do
  case "$point" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/tmp|"$DATA") continue ;; esac
  mount -o remount,bind,ro "$point" 2>/dev/null || true
done
mount -o remount,bind,ro /                      # ProtectSystem=strict: all else read-only
mount -o remount,bind,rw "$DATA"
if touch "$PROJECT/.sandbox-probe" 2>/dev/null; then echo "SANDBOX: project writable" >&2; exit 97; fi
if [ -n "$(ls -A /home)$(ls -A /root)" ]; then echo "SANDBOX: /home or /root visible" >&2; exit 97; fi
cd "$PROJECT"                                   # WorkingDirectory
umask 0077                                      # UMask=0077
exec setpriv --reuid="$SERVICE" --regid="$SERVICE" --clear-groups --no-new-privs \
  make --no-print-directory serve PORT="$PORT" ADDRESS=127.0.0.1   # User=, NoNewPrivileges=, ExecStart=
"""


def test_the_app_server_runs_in_the_unit_s_sandbox(tmp_path: Path) -> None:
    """`make serve` as the unit runs it: as a system account of its own (HOME in the project, no
    home under /home), /home hidden, everything read-only but the data directory, a private
    /tmp, UMask=0077, no new privileges. Health, the login page over Streamlit's protocol and
    readiness answer; what the server writes is 0600."""
    import uuid

    from .protocol import BrowserTab, Run, run_async
    from .servers import free_port
    from .test_preflight import _installation

    settings = _settings(ROOT / "deploy" / "begleiter-cockpit@.service")
    assert {"ProtectSystem": ["strict"], "PrivateTmp": ["true"], "UMask": ["0077"], "NoNewPrivileges": ["true"],
            "ProtectHome": ["true"]}.items() <= settings.items()
    unshare, setpriv, useradd = (shutil.which(name) for name in ("unshare", "setpriv", "useradd"))
    if os.geteuid() != 0 or None in (unshare, setpriv, useradd):
        pytest.skip("braucht root, unshare, setpriv und useradd (in CI: root)")
    if ROOT.resolve().is_relative_to("/root") or ROOT.resolve().is_relative_to("/home"):
        pytest.skip(f"die Arbeitskopie liegt unter {ROOT}: ProtectHome=true verbirgt sie – die Unit "
                    "erwartet den Code unter /opt/begleiter-cockpit")
    interpreter = (ROOT / ".venv" / "bin" / "python").resolve()
    if interpreter.is_relative_to("/root") or interpreter.is_relative_to("/home"):
        pytest.skip(f"die .venv dieser Arbeitskopie läuft mit {interpreter}: unter ProtectHome=true "
                    "erreicht das Dienstkonto es nicht (die Unit selbst auch nicht) – .venv mit "
                    "/usr/bin/python3 anlegen (make install PYTHON=/usr/bin/python3), wie auf dem Server")
    probe = subprocess.run([unshare, "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"der Kern verweigert einen Mount-Namensraum (unshare --mount): {probe.stderr.strip()}")
    account = f"bc-sbx-{uuid.uuid4().hex[:8]}"
    subprocess.run([useradd, "--system", "--home-dir", str(ROOT), "--no-create-home", "--shell",
                    "/usr/sbin/nologin", account], check=True, capture_output=True)
    data = tmp_path / "data"
    stage = Path(f"/dev/shm/{account}")
    stage.mkdir()
    proc = None
    try:
        data.mkdir()
        env = _installation(data)  # production settings, its SQLite database and anchor in data/
        env.pop("ACCESSIBILITY_STATEMENT", None)
        subprocess.run(["chown", "-R", f"{account}:{account}", str(data)], check=True)
        data.chmod(0o700)
        port = free_port()
        env.update(HOME=settings["Environment"][0].split("=", 1)[1].replace("/opt/begleiter-cockpit", str(ROOT)),
                   DATA=str(data), STAGE=str(stage), PROJECT=str(ROOT), SERVICE=account, PORT=str(port))
        assert env["HOME"] == str(ROOT)
        log = tmp_path / "sandbox.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([unshare, "--mount", "--fork", "sh", "-c", SANDBOX], env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
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
        said = log.read_text(encoding="utf-8")
        assert "Startprüfung bestanden." in said and "Traceback" not in said, said
        for path in data.iterdir():  # written by the service account, readable by it only
            assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
            assert path.owner() == account, path
    finally:
        if proc is not None:
            stop(proc)
        stage.rmdir()
        subprocess.run(["userdel", account], capture_output=True)
        subprocess.run(["chown", "-R", "root:root", str(data)], capture_output=True)
