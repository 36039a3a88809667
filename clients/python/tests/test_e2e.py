"""End to end: 1,000 tasks, four Python worker processes, one killed with SIGKILL mid-run. Every
task succeeds, and the handlers' own execution log shows no task ever ran twice at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from tasklane import Client

HERE = Path(__file__).resolve().parent
TASKS = 1000


def test_a_killed_worker_loses_nothing_and_nothing_runs_twice_at_once(server, task_type, tmp_path):
    client = Client(server.url, server.admin_token)
    log = tmp_path / "executions.jsonl"
    procs = []
    try:
        for i in range(4):
            # The first (the one to be killed) takes 2 s a task, so that it surely holds running
            # tasks at the kill; the others 20 ms.
            pause = "2.0" if i == 0 else "0.02"
            p = subprocess.Popen(
                [sys.executable, str(HERE / "worker_process.py"), server.url, server.worker_token, task_type, str(log), "8", pause, f"e2e-{i}-{task_type}"],
                stdout=subprocess.PIPE,
                text=True,
            )
            procs.append(p)
        for p in procs:
            assert p.stdout.readline().strip() == "ready"

        ids = [client.submit(task_type, {"n": n}).id for n in range(TASKS)]

        # Kill one worker while it holds running tasks: once it has started a full set of them.
        victim = procs[0]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = _runs_of(log, victim.pid)
            if started["start"] >= 8 and started["start"] > started["end"]:
                break
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        victim.wait(10)

        deadline = time.monotonic() + 180
        pending = set(ids)
        while pending and time.monotonic() < deadline:
            page_ids = set()
            cursor = None
            while True:
                page = client.list(type=task_type, state="succeeded", limit=500, cursor=cursor)
                page_ids.update(t.id for t in page.tasks)
                cursor = page.next_cursor
                if cursor is None:
                    break
            pending -= page_ids
            if pending:
                time.sleep(0.25)
        assert not pending, f"{len(pending)} task(s) never succeeded"
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()

    runs = defaultdict(list)  # task -> [(start, end or None, pid)]
    open_runs = {}
    for line in log.read_text().splitlines():
        e = json.loads(line)
        key = (e["task"], e["attempt"], e["pid"])
        if e["event"] == "start":
            open_runs[key] = e["at"]
        else:
            runs[e["task"]].append((open_runs.pop(key), e["at"], e["pid"]))
    cut_short = defaultdict(list)
    for (task, attempt, pid), start in open_runs.items():
        assert pid == victim.pid, f"only the killed worker left runs unfinished, not {pid}"
        cut_short[task].append((start, killed_at, pid))

    # The fault path was taken: the killed worker held running tasks, and each of them ran again
    # to its end elsewhere, after the kill.
    assert cut_short, "the killed worker was running tasks"
    for task, lost in cut_short.items():
        assert any(pid != victim.pid and start >= killed_at for start, _, pid in runs[task]), task

    for task in ids:
        intervals = sorted(runs[task] + cut_short.get(task, []))
        assert any(end is not None for _, end, _ in runs[task]), f"task {task} ran to its end"
        for (s1, e1, p1), (s2, _, p2) in zip(intervals, intervals[1:]):
            assert s2 >= e1, f"task {task} ran twice at once: {p1} until {e1}, {p2} from {s2}"


def _runs_of(log: Path, pid: int):
    counts = {"start": 0, "end": 0}
    if not log.exists():
        return counts
    for line in log.read_text().splitlines():
        e = json.loads(line)
        if e["pid"] == pid:
            counts[e["event"]] += 1
    return counts
