"""The app server as deploy/begleiter-cockpit@.service runs it, also where PID 1 is not systemd (CI,
containers): the unit file's own settings turned into a mount namespace (`unshare`) and a switch to
a service account (`setpriv`). Every [Service] setting of the unit is either reproduced here or
named below as not shaping the sandbox; any other setting (or a value not understood) fails the
tests that start servers this way until it is reproduced here – a changed unit changes what is
tested, never silently.

Paths: the unit's installation (/opt/begleiter-cockpit) is this checkout; each ReadWritePaths entry
is a folder of the test (`UnitSandbox.path` translates any installation path).
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from subprocess import Popen

import pytest

from .servers import ROOT, free_port

UNIT = ROOT / "deploy" / "begleiter-cockpit@.service"
MAINTAIN_UNIT = ROOT / "deploy" / "begleiter-cockpit-maintain.service"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
INSTALL = "/opt/begleiter-cockpit"  # where the units expect the code
# What systemd gives every service (systemd.exec(5), "Environment Variables in Spawned Processes").
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
# Settings that order, start or restart the service but do not shape what it may see or do.
NOT_SANDBOX = {"Type", "Restart", "RestartSec", "RestartPreventExitStatus"}
REPRODUCED = {"User", "Group", "WorkingDirectory", "Environment", "EnvironmentFile", "ExecStart", "UMask",
              "NoNewPrivileges", "PrivateTmp", "ProtectSystem", "ProtectHome", "ReadWritePaths"}
# ProtectSystem= and ProtectHome= values (systemd.exec(5)) and the trees they cover.
READ_ONLY_TREES = {"strict": ["/"], "full": ["/usr", "/boot", "/efi", "/etc"], "true": ["/usr", "/boot", "/efi"],
                   "false": []}
HOMES = ["/home", "/root", "/run/user"]


def unit_settings(unit: Path, section: str | None = None) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file (of one `[section]` if given), every value of a key."""
    found: dict[str, list[str]] = {}
    current = None
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif "=" in line and not line.startswith(("#", ";")) and section in (None, current):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _one(settings: dict[str, list[str]], key: str, default: str | None = None) -> str | None:
    values = settings.get(key, [])
    if len(values) > 1:
        raise ValueError(f"{key}= mehrfach in der Unit – tests/unit_sandbox.py bildet nur einen Wert nach")
    return values[0] if values else default


def _specifiers(value: str, instance: str) -> str:
    """The unit's specifiers: %i (the instance, here the port) and %%; any other fails."""
    def one(match: re.Match[str]) -> str:
        if match.group(1) == "i":
            return instance
        if match.group(1) == "%":
            return "%"
        raise ValueError(f"Spezifizierer %{match.group(1)} in {value!r} – in tests/unit_sandbox.py nachbilden")
    return re.sub(r"%(.)", one, value)


def environment_file_example() -> dict[str, str]:
    """The settings the unit's EnvironmentFile holds, as deploy/env.example shows them."""
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", ENV_EXAMPLE.read_text(encoding="utf-8"), flags=re.M))


# The owner's environment file of the maintenance unit, as the README's install step 3 describes it.
OWNER_ENV = "/etc/begleiter-cockpit/owner.env"
OWNER_ENV_KEYS = ("APP_ENV", "DATABASE_URL", "AUDIT_KEY", "AUDIT_ANCHOR_FILE")


def environment_file_keys(file: str) -> set[str]:
    """The keys an EnvironmentFile= of a shipped unit holds: the app's (deploy/env.example names
    it in its first line) or the owner's; any other file fails until it is described here."""
    if file in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()[0]:
        return set(environment_file_example())
    if file == OWNER_ENV:
        return set(OWNER_ENV_KEYS)
    raise AssertionError(f"EnvironmentFile={file}: in tests/unit_sandbox.py nicht beschrieben")


def environment_file_keys_of(unit: Path) -> set[str]:
    """Every variable a unit sets: its Environment= names and its EnvironmentFile's keys."""
    settings = unit_settings(unit, "Service")
    named = {assignment.split("=", 1)[0] for line in settings.get("Environment", []) for assignment in shlex.split(line)}
    return named.union(*(environment_file_keys(file) for file in settings.get("EnvironmentFile", [])))


def unavailable() -> str | None:
    """Why the unit's sandbox cannot be built on this machine (None: it can)."""
    if os.geteuid() != 0:
        return "die Sandbox der Unit braucht root (Mount-Namensraum, eigenes Dienstkonto)"
    for tool in ("unshare", "setpriv", "useradd", "userdel"):
        if shutil.which(tool) is None:
            return f"{tool} fehlt (Pakete util-linux, passwd)"
    interpreter = (ROOT / ".venv" / "bin" / "python").resolve()
    for what, path in (("die Arbeitskopie", ROOT.resolve()), ("das Python der .venv", interpreter)):
        for hidden in ("/root", "/home", "/tmp"):
            if path.is_relative_to(hidden):
                return (f"{what} liegt unter {hidden} ({path}): ProtectHome=true/PrivateTmp=true verbirgt es dem "
                        "Dienstkonto, wie auf dem Server – .venv mit /usr/bin/python3 anlegen (make install "
                        "PYTHON=/usr/bin/python3; .ci/run tut das)")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"der Kern verweigert einen Mount-Namensraum (unshare --mount): {probe.stderr.strip()}"
    return None


def require() -> None:
    """Skip without the sandbox – in CI (CI set) fail instead: there the unit must run as shipped."""
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (in CI muss die Unit so laufen, wie sie ausgeliefert wird)")
        pytest.skip(reason)


@dataclass
class UnitSandbox:
    """The unit's [Service] settings and the stand-ins of this test: a throw-away service account
    (for User=/Group=), this checkout (for the installation), a folder per ReadWritePaths entry."""

    settings: dict[str, list[str]]
    account: str
    base: Path  # the writable paths live below it (`path`)

    @property
    def writable(self) -> list[str]:
        paths = " ".join(self.settings.get("ReadWritePaths", [])).split()
        for path in paths:
            if not path.startswith("/"):  # "-" and "+" prefixes: not reproduced
                raise ValueError(f"ReadWritePaths={path} – in tests/unit_sandbox.py nachbilden")
        return paths

    def path(self, installed: str) -> Path:
        """Where an installation path is in this test: below a ReadWritePaths entry in `base`,
        otherwise in this checkout."""
        for writable in self.writable:
            if PurePosixPath(installed).is_relative_to(writable):
                return self.base / writable.lstrip("/") / PurePosixPath(installed).relative_to(writable)
        if PurePosixPath(installed).is_relative_to(INSTALL):
            return ROOT / PurePosixPath(installed).relative_to(INSTALL)
        return Path(installed)

    def _translate(self, value: str) -> str:
        return re.sub(re.escape(INSTALL) + r"[^\s\"']*", lambda m: str(self.path(m.group(0))), value)

    def hand_over(self, path: Path) -> None:
        """Give a file or folder (recursively) to the service account – as `install -o` in the README."""
        subprocess.run(["chown", "-R", f"{self.account}:{self.account}", str(path)], check=True)

    def environment(self, settings: Mapping[str, str], instance: str,
                    machine: Mapping[str, str]) -> dict[str, str]:
        """What the service process gets: systemd's own variables, Environment=, then the keys of
        the EnvironmentFile (those deploy/env.example names) from `settings`; `machine` stands for
        what the machine itself provides (its time zone, its network's proxies)."""
        workdir = self._translate(_specifiers(_one(self.settings, "WorkingDirectory") or "/", instance))
        env = {"PATH": SYSTEMD_PATH, "USER": self.account, "LOGNAME": self.account,
               "HOME": pwd.getpwnam(self.account).pw_dir, "SHELL": pwd.getpwnam(self.account).pw_shell}
        assert workdir == env["HOME"], (workdir, env["HOME"])  # useradd --home-dir as in the README
        for line in self.settings.get("Environment", []):
            for assignment in shlex.split(_specifiers(line, instance)):
                key, value = assignment.split("=", 1)
                env[key] = self._translate(value)
        for file in self.settings.get("EnvironmentFile", []):  # the files the README describes, nothing else
            keys = environment_file_keys(file)
            env.update({key: value for key, value in settings.items() if key in keys})
        return {**env, **machine}

    def script(self, instance: str) -> str:
        """The shell script that builds the sandbox in a fresh mount namespace and execs ExecStart=."""
        s = self.settings
        unknown = set(s) - REPRODUCED - NOT_SANDBOX
        if unknown:
            raise ValueError(f"{sorted(unknown)} bildet tests/unit_sandbox.py nicht nach – ergänzen")
        user, group = _one(s, "User"), _one(s, "Group")
        if user is None or group not in (None, user):
            raise ValueError(f"User={user} Group={group}: nur ein Dienstkonto mit gleichnamiger Gruppe nachgebildet")
        workdir = self._translate(_specifiers(_one(s, "WorkingDirectory") or "/", instance))
        command = shlex.split(self._translate(_specifiers(_one(s, "ExecStart") or "", instance)))
        if not command or command[0][0] in "-@:+!":
            raise ValueError(f"ExecStart={command}: ohne Präfixe nachgebildet")
        umask = _one(s, "UMask", "0022")
        private_tmp, protect_home = _one(s, "PrivateTmp", "false"), _one(s, "ProtectHome", "false")
        protect_system = _one(s, "ProtectSystem", "false")
        no_new_privs = _one(s, "NoNewPrivileges", "false")
        for key, value, allowed in (("PrivateTmp", private_tmp, ("true", "false")),
                                    ("ProtectHome", protect_home, ("true", "read-only", "tmpfs", "false")),
                                    ("ProtectSystem", protect_system, tuple(READ_ONLY_TREES)),
                                    ("NoNewPrivileges", no_new_privs, ("true", "false"))):
            if value not in allowed:
                raise ValueError(f"{key}={value} – in tests/unit_sandbox.py nachbilden")
        if not re.fullmatch(r"0?[0-7]{3}", umask or ""):
            raise ValueError(f"UMask={umask}")
        q = shlex.quote
        writable = [str(self.path(p)) for p in self.writable]
        api = "/proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/tmp|/tmp/*|/var/tmp|/var/tmp/*"
        lines = ["set -eu", "mount --make-rprivate /",
                 "# ReadWritePaths: set aside (a private /tmp hides them), moved back below",
                 "mount -t tmpfs -o mode=700 sandbox-stage /mnt"]
        for n, path in enumerate(writable):
            lines += [f"mkdir /mnt/{n}", f"mount --bind {q(path)} /mnt/{n}"]
        if private_tmp == "true":
            lines += ["# PrivateTmp=true", "mount -t tmpfs -o mode=1777 tmpfs /tmp",
                      "mount -t tmpfs -o mode=1777 tmpfs /var/tmp"]
        for n, path in enumerate(writable):
            lines += [f"mkdir -p {q(path)}", f"mount --move /mnt/{n} {q(path)}"]
        lines += ["umount /mnt"]
        if protect_home != "false":
            lines.append(f"# ProtectHome={protect_home}")
            for home in HOMES:
                if protect_home == "true":  # empty and inaccessible
                    lines.append(f"[ ! -d {home} ] || mount -t tmpfs -o mode=000 tmpfs {home}")
                elif protect_home == "tmpfs":
                    lines.append(f"[ ! -d {home} ] || mount -t tmpfs -o mode=755,ro tmpfs {home}")
                else:
                    lines.append(f"[ ! -d {home} ] || {{ mount --rbind {home} {home}; "
                                 f"mount -o remount,bind,ro {home}; }}")
        trees = READ_ONLY_TREES[protect_system or "false"]
        if trees:
            lines.append(f"# ProtectSystem={protect_system}: read-only but the API file systems and the writable paths")
            skip = "|".join([api, *(q(p) for p in writable)])
            for tree in trees:
                inside = "*" if tree == "/" else f"{q(tree)}|{q(tree)}/*"
                lines += [f"if [ -d {q(tree)} ]; then",
                          f"  [ {q(tree)} = / ] || mount --rbind {q(tree)} {q(tree)}",
                          "  awk '{print $5}' /proc/self/mountinfo | while read -r point; do",
                          f"    case \"$point\" in {skip}) continue ;; {inside}) ;; *) continue ;; esac",
                          "    mount -o remount,bind,ro \"$point\" 2>/dev/null || true",
                          "  done",
                          f"  mount -o remount,bind,ro {q(tree)}",
                          "fi"]
            lines += [f"mount -o remount,bind,rw {q(p)}" for p in writable]
        # Probes: the sandbox is what the settings say, or the server never starts.
        if protect_system == "strict":
            lines.append(f"if touch {q(workdir)}/.sandbox-probe 2>/dev/null; then rm -f {q(workdir)}/.sandbox-probe; "
                         "echo 'SANDBOX: Arbeitsverzeichnis beschreibbar' >&2; exit 97; fi")
        if protect_home in ("true", "tmpfs"):
            lines.append("if [ -n \"$(ls -A /home)$(ls -A /root)\" ]; then echo 'SANDBOX: /home oder /root sichtbar' >&2; "
                         "exit 97; fi")
        privileges = ["--no-new-privs"] if no_new_privs == "true" else []
        lines += [f"cd {q(workdir)}", f"umask {umask}",
                  shlex.join(["exec", "setpriv", f"--reuid={self.account}", f"--regid={self.account}",
                              "--init-groups", *privileges, "--", *command])]
        return "\n".join(lines) + "\n"

    def run(self, settings: Mapping[str, str], *, machine: Mapping[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """A oneshot unit (the maintenance) once, to its end: its exit status and output. As
        `start`: nothing of the test runner's environment but what `machine` names."""
        machine = dict(machine or {})
        return subprocess.run([shutil.which("unshare") or "unshare", "--mount", "--fork", "sh", "-c", self.script("")],
                              env=self.environment(settings, "", machine), capture_output=True, text=True,
                              timeout=timeout)

    def start(self, settings: Mapping[str, str], log: Path, *, machine: Mapping[str, str] | None = None,
              port: int | None = None) -> tuple[str, Popen]:
        """One instance (its port the instance name, as `begleiter-cockpit@8501`), its output in
        `log`; wait_healthy before using it, servers.stop ends it. The process gets what systemd
        gives it (`environment`) – never the test runner's own environment (a proxy, TZ, a
        PYTHONPATH there would not reach the service on the server); what the machine itself
        provides a test names in `machine`."""
        instance = str(port or free_port())
        machine = dict(machine or {})
        with open(log, "a") as out:
            proc = subprocess.Popen([shutil.which("unshare") or "unshare", "--mount", "--fork", "sh", "-c",
                                     self.script(instance)],
                                    env=self.environment(settings, instance, machine), stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        return f"http://127.0.0.1:{instance}", proc


@contextmanager
def unit_sandbox(base: Path, unit: Path = UNIT) -> Iterator[UnitSandbox]:
    """The unit's sandbox with a throw-away service account (useradd as in the README: home in the
    installation, none under /home) and its writable paths below `base` (made 0700, the account's).
    Skips where the sandbox cannot be built – fails in CI."""
    require()
    account = f"bc-sbx-{uuid.uuid4().hex[:8]}"
    sandbox = UnitSandbox(unit_settings(unit, "Service"), account, base)
    workdir = sandbox._translate(_one(sandbox.settings, "WorkingDirectory") or "/")
    subprocess.run(["useradd", "--system", "--home-dir", workdir, "--no-create-home", "--shell",
                    "/usr/sbin/nologin", account], check=True, capture_output=True)
    try:
        for writable in sandbox.writable:
            folder = sandbox.path(writable)
            folder.mkdir(parents=True, exist_ok=True)
            sandbox.hand_over(folder)
            folder.chmod(0o700)
        yield sandbox
    finally:
        subprocess.run(["userdel", account], capture_output=True)
        subprocess.run(["chown", "-R", "root:root", str(base)], capture_output=True)


@contextmanager
def unit_sandbox_or_none(base: Path, unit: Path = UNIT) -> Iterator[UnitSandbox | None]:
    """For a test that also means something without the sandbox (the deploy test): None and a
    warning where it cannot be built – in CI a failure."""
    reason = unavailable()
    if reason is None:
        with unit_sandbox(base, unit) as sandbox:
            yield sandbox
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (in CI muss die Unit so laufen, wie sie ausgeliefert wird)")
    warnings.warn(f"App-Server ohne die Sandbox der Unit: {reason}", stacklevel=2)
    yield None
