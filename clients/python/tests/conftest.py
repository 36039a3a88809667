"""Fixtures: one real server per session (see tasklane_server.py) and a task type per test."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from tasklane_server import Server  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("tasklane"))
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def task_type() -> str:
    """A task type of the test's own, so that no other test's worker takes its tasks."""
    return "t_" + uuid.uuid4().hex[:12]
