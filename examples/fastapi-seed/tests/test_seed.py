"""The article's app on Tasklane, run for real: uvicorn serving app.py, worker.py in its own
process, httpx as the client. The worker is killed with SIGKILL while it runs the task, and the
task still finishes once a worker runs again: what BackgroundTasks loses on a restart, kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tasklane import Client

EXAMPLE = Path(__file__).resolve().parents[1]
ROOT = EXAMPLE.parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(condition, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def env(server, token: str, **more: str) -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "clients" / "python")
    e["TASKLANE_URL"] = server.url
    e["TASKLANE_TOKEN"] = token
    e.update(more)
    return e


def start_worker(server, run_log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=EXAMPLE,
        env=env(server, server.worker_token, PROCESS_SECONDS="3", RUN_LOG=str(run_log)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_seed_app_survives_the_restart_that_background_tasks_cannot(server, tmp_path):
    run_log = tmp_path / "runs.jsonl"
    admin = Client(server.url, server.admin_token)
    port = free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=EXAMPLE,
        env=env(server, server.submitter_token),
    )
    worker = start_worker(server, run_log)
    restarted = None
    try:
        web = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        until(lambda: _answers(web))
        # The worker announces process_task; until then the server does not know the type.
        until(lambda: any(n.get("language") == "python" for n in admin._http.request("GET", "/api/v1/nodes")["nodes"]))

        answer = web.post("/submit-task", json={"data": "report-42", "priority": 2})
        assert answer.status_code == 200
        assert answer.json()["status"] == "Task queued"
        task_id = answer.json()["task_id"]
        assert admin.get(task_id).priority == 2

        bad = web.post("/submit-task", json={"priority": 2})
        assert bad.status_code == 422, "the article's validation error, from the app's own model"

        # Kill the worker while process_task runs: the process dies with the task half done.
        until(lambda: run_log.exists() and '"start"' in run_log.read_text())
        assert web.get(f"/tasks/{task_id}").json()["state"] == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)

        # With BackgroundTasks the task would be gone. Here it waits for a worker.
        restarted = start_worker(server, run_log)
        done = until(lambda: (s := web.get(f"/tasks/{task_id}").json())["state"] == "succeeded" and s, timeout=90)
        assert done["result"] == {"processed": "report-42"}
        assert done["attempt"] == 2, f"the killed run counted as an attempt: {done['errors']}"
        assert "expired" in done["errors"][0]["message"]

        runs = [json.loads(line) for line in run_log.read_text().splitlines()]
        first, second = [r for r in runs if r["event"] == "start"]
        assert first["pid"] == worker.pid and second["pid"] == restarted.pid
        ends = [r for r in runs if r["event"] == "end"]
        assert [e["pid"] for e in ends] == [restarted.pid], "the killed run never ended; the second did"
        assert second["at"] > first["at"]

        debug = web.post("/debug-task")
        assert debug.json()["status"] == "Debug task queued"
        assert admin.wait(debug.json()["task_id"], 60).state == "succeeded"
    finally:
        for p in (app, worker, restarted):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()


def _answers(web: httpx.Client) -> bool:
    try:
        return web.get("/openapi.json").status_code == 200
    except httpx.HTTPError:
        return False
