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
