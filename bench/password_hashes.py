"""What one password check costs: argon2id as shipped (db/accounts/passwords.py) against bcrypt
at the costs the app used before, on this machine.

    .venv/bin/python bench/password_hashes.py [--checks 20]

Each hash is checked `checks` times with the right password (what a login costs) after one
warm-up; prints the median and p95 per check, wall clock and CPU of this process, and the
login burst the figure allows: 50 logins on one 2-core server within 5 s (README, Betrieb).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bcrypt  # noqa: E402

from db.accounts import passwords  # noqa: E402

PASSWORD = "Korb-Wolke-Fenster-17"
BURST = 50  # logins at the start of a working day, one server (bench/load.py)


def timed(check: Callable[[], bool], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run."""
    assert check(), "das richtige Passwort passt nicht"
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        check()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Kosten einer Passwortprüfung.")
    parser.add_argument("--checks", type=int, default=20)
    args = parser.parse_args()
    argon2id = passwords.new_hash(PASSWORD)
    kinds = {"argon2id (ausgeliefert)": argon2id}
    for rounds in (12, 10):
        kinds[f"bcrypt Faktor {rounds} (bisher)"] = bcrypt.hashpw(PASSWORD.encode(),
                                                                 bcrypt.gensalt(rounds)).decode()
    print(f"Parameter: {argon2id.rsplit('$', 2)[0]}; {args.checks} Prüfungen je Verfahren")
    print(f"{'Verfahren':28} {'Median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'50 Anmeldungen, CPU s':>22}")
    for name, stored in kinds.items():
        wall, cpu = timed(lambda stored=stored: passwords.matches(PASSWORD, stored), args.checks)
        median_cpu = statistics.median(cpu)
        print(f"{name:28} {statistics.median(wall) * 1000:10.1f} {p95(wall) * 1000:8.1f} "
              f"{median_cpu * 1000:8.1f} {BURST * median_cpu:22.2f}")


if __name__ == "__main__":
    main()
