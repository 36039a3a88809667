"""The worker against a real server: plain and async functions, progress, cancellation,
timeouts, outcomes, and graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tasklane import Client, Fail, Retry, Snooze, Throttle, Worker

HERE = Path(__file__).resolve().parent


class Running:
    """A worker running in a thread of the test, stopped (gracefully) at the end."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False}, daemon=True)

    def __enter__(self) -> Worker:
        self.thread.start()
        assert self.worker.wait_ready(60), "the worker announced itself"
        return self.worker

    def __exit__(self, *exc) -> None:
        self.worker.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the worker stopped"


def until(condition, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def make_worker(server, task_type, **kw) -> Worker:
    kw.setdefault("claim_wait", 1)
    return Worker(server.url, server.worker_token, id=kw.pop("id", "w-" + task_type), **kw)


def test_plain_and_async_functions_run_and_their_results_are_kept(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type, concurrency=4)

    @worker.task(task_type)
    def add(payload):
        return payload["a"] + payload["b"]

    @worker.task(task_type + "_async")
    async def shout(payload, ctx):
        await asyncio.sleep(0.01)
        return {"text": payload["text"].upper(), "attempt": ctx.attempt}

    with Running(worker):
        a = client.submit(task_type, {"a": 2, "b": 3})
        b = client.submit(task_type + "_async", {"text": "hi"})
        assert client.wait(a.id, 30).result == 5
        done = client.wait(b.id, 30)
        assert done.state == "succeeded" and done.result == {"text": "HI", "attempt": 1}
        node = next(n for n in client._http.request("GET", "/api/v1/nodes")["nodes"] if n["id"] == worker.id)
        assert node["kind"] == "remote" and node["language"] == "python"
        assert node["client"].startswith("tasklane-python/")


def test_progress_is_reported_and_a_cancel_stops_plain_and_async_tasks(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type, concurrency=2)
    started = threading.Event()

    @worker.task(task_type)
    def long(payload, ctx):
        ctx.progress(30)
        started.set()
        while True:
            ctx.check_cancelled()
            time.sleep(0.05)

    @worker.task(task_type + "_async")
    async def long_async(payload, ctx):
        ctx.progress(60)
        await asyncio.sleep(3600)

    with Running(worker):
        plain = client.submit(task_type)
        coro = client.submit(task_type + "_async")
        until(lambda: client.get(plain.id).progress == 30)
        until(lambda: client.get(coro.id).progress == 60)
        client.cancel(plain.id)
        client.cancel(coro.id)
        assert client.wait(plain.id, 30).state == "cancelled"
        assert client.wait(coro.id, 30).state == "cancelled"


def test_outcomes_retry_snooze_fail_and_errors(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type, concurrency=4)

    @worker.task(task_type)
    def decide(payload):
        kind = payload["kind"]
        if kind == "retry":
            raise Retry(3600, "partner busy")
        if kind == "snooze":
            raise Snooze(3600)
        if kind == "fail":
            raise Fail("not an image")
        if kind == "error":
            raise KeyError("width")
        return object()  # not JSON

    with Running(worker):
        ids = {k: client.submit(task_type, {"kind": k}, max_attempts=3).id for k in ("retry", "snooze", "fail", "error", "weird")}
        retried = until(lambda: (t := client.get(ids["retry"])).state == "scheduled" and t)
        assert retried.last_error == "partner busy" and retried.attempt == 1
        snoozed = until(lambda: (t := client.get(ids["snooze"])).state == "scheduled" and t)
        assert snoozed.attempt == 0
        failed = client.wait(ids["fail"], 30)
        assert failed.state == "failed" and failed.last_error == "not an image"
        errored = until(lambda: (t := client.get(ids["error"])).state == "scheduled" and t)
        assert errored.last_error == "KeyError: 'width'"
        weird = client.wait(ids["weird"], 30)
        assert weird.state == "failed" and "not JSON" in weird.last_error


def test_a_run_past_its_timeout_fails_and_is_retried(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type, concurrency=2)
    attempts = []

    @worker.task(task_type)
    def slow(payload, ctx):
        attempts.append(ctx.attempt)
        if ctx.attempt == 1:
            while not ctx.cancelled:
                time.sleep(0.02)
            return "too late"
        return "in time"

    @worker.task(task_type + "_async")
    async def slow_async(payload):
        await asyncio.sleep(3600)

    with Running(worker):
        task = client.submit(task_type, timeout=0.5, max_attempts=2)
        coro = client.submit(task_type + "_async", timeout=0.5, max_attempts=1)
        done = client.wait(task.id, 60)
        assert done.state == "succeeded" and done.result == "in time"
        assert done.errors[0]["message"] == "timed out after 500ms"
        failed = client.wait(coro.id, 60)
        assert failed.state == "failed" and failed.last_error == "timed out after 500ms"


def test_stopping_lets_running_tasks_finish_and_hands_back_what_does_not(server, task_type):
    client = Client(server.url, server.admin_token)
    finishing = make_worker(server, task_type, id="finishing-" + task_type, concurrency=1, shutdown_timeout=30)
    release = threading.Event()
    began = threading.Event()

    @finishing.task(task_type)
    def wait_for_release(payload):
        began.set()
        release.wait(30)
        return "finished"

    run = Running(finishing)
    with run:
        task = client.submit(task_type)
        began.wait(30)
        stopper = threading.Thread(target=finishing.stop)
        stopper.start()
        time.sleep(0.2)
        release.set()
    assert client.get(task.id).state == "succeeded", "a running task finishes within the shutdown timeout"

    stuck = make_worker(server, task_type, id="stuck-" + task_type, concurrency=1, shutdown_timeout=0.5)
    began.clear()

    @stuck.task(task_type)
    def never(payload, ctx):
        began.set()
        while not ctx.cancelled:
            time.sleep(0.02)
        return "stopped"

    with Running(stuck):
        task = client.submit(task_type)
        began.wait(30)
    back = client.get(task.id)
    assert back.state == "queued", "what outlived the shutdown timeout goes back to its queue"
    assert back.attempt == 0, "its attempt refunded"


def test_sigterm_stops_a_worker_process_gracefully(server, task_type, tmp_path):
    client = Client(server.url, server.admin_token)
    log = tmp_path / "runs.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "worker_process.py"), server.url, server.worker_token, task_type, str(log), "2", "1.0", "sigterm-" + task_type],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        task = client.submit(task_type, {"n": 1})
        until(lambda: log.exists() and '"start"' in log.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        done = client.get(task.id)
        assert done.state == "succeeded", "the running task finished before the process left"
        nodes = client._http.request("GET", "/api/v1/nodes")["nodes"]
        assert all(n["id"] != "sigterm-" + task_type for n in nodes), "it left the registry"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_schedule_set_from_python_has_its_ticks_run_by_a_python_worker(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type)
    seen = []

    @worker.task(task_type)
    def tick(payload, ctx):
        seen.append(ctx.task_id)
        return {"from": payload["from"]}

    with Running(worker):
        defined = client.set_schedule("every-second-" + task_type, task_type, {"from": "cron"}, every=1, priority=3)
        assert defined["every"] == 1 and defined["task"]["priority"] == 3 and defined["next_run_at"]
        last = until(lambda: client.schedule("every-second-" + task_type)["last_task_id"])
        done = client.wait(last, timeout=30)
        assert done.state == "succeeded" and done.result == {"from": "cron"}
        assert done.raw["idempotency_key"].startswith("schedule:every-second-" + task_type + ":")
        assert client.pause_schedule("every-second-" + task_type)["paused"] is True
        now = client.run_schedule("every-second-" + task_type)
        assert client.wait(now.id, timeout=30).state == "succeeded"
        assert now.id in until(lambda: now.id in seen and seen)
    client.delete_schedule("every-second-" + task_type)
    assert all(s["name"] != "every-second-" + task_type for s in client.schedules())


def test_a_rate_limit_spaces_a_python_workers_starts_and_throttle_holds_them(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = make_worker(server, task_type, concurrency=4)
    starts = []
    throttled = []

    @worker.task(task_type)
    def call(payload, ctx):
        if payload.get("throttle") and not throttled:
            throttled.append(time.time())
            raise Throttle(1.0, "the partner answered 429")
        starts.append(time.time())
        return "ok"

    with Running(worker):
        client.set_rate_limit("type", task_type, 4, per=1, burst=1)
        assert any(r["name"] == "type:" + task_type for r in client.rate_limits())
        ids = [client.submit(task_type, {"n": i}).id for i in range(5)]
        for task_id in ids:
            assert client.wait(task_id, timeout=60).state == "succeeded"
        spaced = sorted(starts)
        # 4 per second with a burst of 1: a start every 250 ms (one interval allowed for jitter).
        for i in range(len(spaced)):
            for j in range(i, len(spaced)):
                assert j - i + 1 <= 2 + (spaced[j] - spaced[i]) / 0.25
        assert spaced[-1] - spaced[0] >= 0.25 * 3

        first = client.submit(task_type, {"throttle": True})
        until(lambda: throttled)
        after = [client.submit(task_type, {"n": 10 + i}).id for i in range(2)]
        for task_id in after + [first.id]:
            assert client.wait(task_id, timeout=60).state == "succeeded"
        assert all(s >= throttled[0] + 1.0 - 0.05 for s in starts[5:])
    client.delete_rate_limit("type", task_type)
