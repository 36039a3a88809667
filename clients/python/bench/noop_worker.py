"""A worker whose one task type does nothing: what `tasklane bench --scenario remote-drain-python`
starts, several at once, to measure the worker protocol's own cost per task.

    python3 noop_worker.py URL TYPE CONCURRENCY WORKER_ID
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasklane import Worker  # noqa: E402


def main() -> None:
    url, task_type, concurrency, worker_id = sys.argv[1:5]
    logging.basicConfig(level=logging.WARNING)
    worker = Worker(url, id=worker_id, concurrency=int(concurrency), claim_wait=2, shutdown_timeout=5)

    @worker.task(task_type)
    def noop(payload):
        return None

    worker.run()


if __name__ == "__main__":
    main()
