"""A real Tasklane server for tests, started from the built jar (or the repository's launcher) on
a SQLite file in a temporary folder, with an admin and a worker token made before it starts.

The Java build runs the Python tests with TASKLANE_JAVA and TASKLANE_JAR set; by hand, from the
repository root, ``python3 -m pytest clients/python`` uses ``./tasklane`` (which builds the jar if
needed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[3]


class Server:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "tasklane.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.process: "subprocess.Popen[bytes] | None" = None
        self.admin_token = ""
        self.worker_token = ""
        self.submitter_token = ""

    def command(self, *args: str) -> List[str]:
        java = os.environ.get("TASKLANE_JAVA")
        jar = os.environ.get("TASKLANE_JAR")
        if java and jar:
            return [java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-jar", jar, *args]
        return [str(ROOT / "tasklane"), *args]

    def token(self, name: str, role: str, *extra: str) -> str:
        out = subprocess.run(
            self.command("token", "create", "--db", str(self.db), "--name", name, "--role", role, *extra),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return out.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.admin_token = self.token("pytest-admin", "admin")
        self.worker_token = self.token("pytest-worker", "worker")
        self.submitter_token = self.token("pytest-submitter", "submitter")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(
                    "serve",
                    "--db", str(self.db),
                    "--port", str(self.port),
                    "--lease", "3s",
                    "--poll-interval", "200ms",
                    "--shutdown-timeout", "5s",
                    "--max-queued", "1000000",
                    "--no-builtin-tasks",
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer /health:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
