"""A worker process for the tests: runs one task type whose handler writes an execution log.

    python3 worker_process.py URL TOKEN TYPE LOG CONCURRENCY SLEEP_SECONDS [WORKER_ID]

Each run appends a line when it starts and one when it ends (task id, attempt, pid, time), with
O_APPEND writes of one line each, so many processes can share the file.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasklane import Worker  # noqa: E402


def main() -> None:
    url, token, task_type, log_path, concurrency, sleep_seconds = sys.argv[1:7]
    worker_id = sys.argv[7] if len(sys.argv) > 7 else None
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pause = float(sleep_seconds)

    def write(event: str, ctx) -> None:
        line = json.dumps({"event": event, "task": ctx.task_id, "attempt": ctx.attempt, "pid": os.getpid(), "at": time.time()})
        os.write(fd, (line + "\n").encode())

    worker = Worker(url, token, id=worker_id, concurrency=int(concurrency), claim_wait=2, shutdown_timeout=10)

    @worker.task(task_type)
    def run(payload, ctx):
        write("start", ctx)
        time.sleep(pause)
        write("end", ctx)
        return {"n": payload.get("n") if isinstance(payload, dict) else None, "pid": os.getpid()}

    def announce_ready() -> None:
        if worker.wait_ready(120):
            print("ready", flush=True)

    threading.Thread(target=announce_ready, daemon=True).start()
    worker.run()


if __name__ == "__main__":
    main()
