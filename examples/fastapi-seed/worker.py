"""The article's process_task and debug task, run by a Tasklane worker: at most 5 at once per
worker process (the article's Semaphore(5)), and none lost when the process dies.

    TASKLANE_TOKEN=<a worker token> python3 worker.py
"""

import asyncio
import json
import os
import time

from tasklane import Worker

worker = Worker(os.environ.get("TASKLANE_URL", "http://127.0.0.1:8000"), concurrency=5)
# How long process_task takes (the article sleeps 2 s); where each run is recorded, if anywhere.
SECONDS = float(os.environ.get("PROCESS_SECONDS", "2"))
RUN_LOG = os.environ.get("RUN_LOG")


def record(event: str, task_id: str) -> None:
    if RUN_LOG:
        with open(RUN_LOG, "a") as f:
            f.write(json.dumps({"event": event, "task": task_id, "pid": os.getpid(), "at": time.time()}) + "\n")


@worker.task("process_task")
async def process_task(task, ctx):
    record("start", ctx.task_id)
    await asyncio.sleep(SECONDS)  # the slow part
    print(f"Processed: {task['data']}", flush=True)
    record("end", ctx.task_id)
    return {"processed": task["data"]}


@worker.task("debug_task")
def debug_task(payload):
    print("Debug task executed", flush=True)


if __name__ == "__main__":
    worker.run()
