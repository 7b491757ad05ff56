"""Starting app servers in tests and benchmarks: a free loopback port, and the wait until a
server answers its health check."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path
from subprocess import Popen


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
