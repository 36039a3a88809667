"""Running tasks in Python: :class:`Worker`, which speaks the server's worker protocol.

A worker announces the task types it runs, claims ready tasks (a long poll that returns as soon
as one is ready, up to as many as it has free slots), runs each in a thread (plain functions) or
on its event loop (``async def`` functions), renews their leases with one heartbeat for all of
them, and reports each outcome with the run's fencing token. A run whose lease was lost (the
worker was silent too long and the task went elsewhere) is dropped: its late outcome is refused
by the server, so a task is never finished twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import logging
import os
import queue
import signal
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from . import errors
from ._http import Http
from ._version import __version__

log = logging.getLogger("tasklane.worker")

PROTOCOL = 1


class Retry(Exception):
    """Raise it from a task to run it again after ``delay`` seconds; the attempt counts."""

    def __init__(self, delay: float, reason: Optional[str] = None) -> None:
        super().__init__(reason or f"retry in {delay} s")
        self.delay = float(delay)
        self.reason = reason


class Snooze(Exception):
    """Raise it from a task to run it again after ``delay`` seconds; the attempt does not count."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"snooze {delay} s")
        self.delay = float(delay)


class Throttle(Exception):
    """Raise it when the system a task calls says to slow down (HTTP 429, a quota): the task runs
    again after ``delay`` seconds without using up an attempt, and every start under its rate limits
    (its queue's and type's, for its key) waits until then, on every server and worker."""

    def __init__(self, delay: float, reason: Optional[str] = None) -> None:
        super().__init__(reason or f"throttled for {delay} s")
        self.delay = float(delay)
        self.reason = reason


class Fail(Exception):
    """Raise it from a task that no retry can mend (invalid input, say): it fails at once."""


class Cancelled(Exception):
    """Raised by :meth:`TaskContext.check_cancelled` once the task's cancel was requested."""


class TaskContext:
    """What a running task knows about itself, and how it talks back: progress and cancellation."""

    def __init__(self, task: Dict[str, Any], on_progress: Callable[[], None]) -> None:
        self.task_id: str = task["id"]
        self.type: str = task["type"]
        self.queue: str = task["queue"]
        self.attempt: int = task["attempt"]
        self.max_attempts: int = task["max_attempts"]
        self.timeout: Optional[float] = task.get("timeout")
        self._progress: Optional[int] = None
        self._reported: Optional[int] = None
        self._on_progress = on_progress
        self._cancelled = threading.Event()
        self._why: Optional[str] = None
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        """True once the task's cancel was requested, or it timed out or was lost: stop soon."""
        return self._cancelled.is_set()

    @property
    def cancel_reason(self) -> Optional[str]:
        """Why :attr:`cancelled` is true: ``cancel_requested``, ``timed_out`` or ``lost``."""
        return self._why

    def check_cancelled(self) -> None:
        """Raises :class:`Cancelled` if the task should stop: call it between steps of long work."""
        if self.cancelled:
            raise Cancelled(self._why or "cancelled")

    def progress(self, percent: int) -> None:
        """Reports how far the task is (0-100); sent with the next heartbeat, at most once a second."""
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise ValueError(f"progress must be an int from 0 to 100, not {percent!r}")
        with self._lock:
            self._progress = percent
        self._on_progress()

    def _take_progress(self) -> Optional[int]:
        with self._lock:
            if self._progress is None or self._progress == self._reported:
                return None
            self._reported = self._progress
            return self._progress

    def _cancel(self, why: str) -> None:
        if self._why is None:
            self._why = why
        self._cancelled.set()


@dataclass
class _Handler:
    type: str
    function: Callable[..., Any]
    is_async: bool
    wants_context: bool
    timeout: Optional[float]


@dataclass
class _Run:
    task: Dict[str, Any]
    handler: _Handler
    ctx: TaskContext
    deadline: Optional[float]
    future: Optional[concurrent.futures.Future] = None
    # Set once the run's outcome is decided here or elsewhere (timed out, lost): the handler's own
    # end then reports nothing.
    settled: bool = False
    # Set when the server ended the run or gave it to another worker: nothing more is said of it.
    dropped: bool = False
    settle_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def task_id(self) -> str:
        return self.task["id"]

    @property
    def ref(self) -> Dict[str, Any]:
        return {"task_id": self.task["id"], "fencing_token": self.task["fencing_token"]}

    def settle(self) -> bool:
        """Claims the right to report this run's outcome; false if it was already taken."""
        with self.settle_lock:
            if self.settled:
                return False
            self.settled = True
            return True


class Worker:
    """Runs Python functions as Tasklane tasks.

    ::

        worker = Worker("http://127.0.0.1:8000", concurrency=8)

        @worker.task("resize_image")
        def resize(payload, ctx):
            ctx.progress(50)
            return {"thumbnail": make_thumbnail(payload["path"])}

        worker.run()  # until SIGTERM or SIGINT

    ``id`` names the worker across restarts (default ``<host>-<pid>``); ``queues`` limits it to
    some queues (default: every queue); ``concurrency`` is how many tasks run at once.
    ``shutdown_timeout`` is how long running tasks get to finish after a stop before they are
    handed back. ``token`` defaults to ``TASKLANE_TOKEN``.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        token: Optional[str] = None,
        *,
        id: Optional[str] = None,
        queues: Optional[Sequence[str]] = None,
        concurrency: int = 4,
        shutdown_timeout: float = 30.0,
        claim_wait: float = 10.0,
        cafile: Optional[str] = None,
    ) -> None:
        if not 1 <= concurrency <= 10_000:
            raise ValueError("concurrency must be between 1 and 10000")
        if not 0 < claim_wait <= 60:
            raise ValueError("claim_wait must be more than 0 and at most 60 seconds")
        self._http = Http(url, token, max(30.0, claim_wait + 15), cafile)
        self.id = id or f"{socket.gethostname()}-{os.getpid()}"
        self.instance = str(uuid.uuid4())
        self.queues = list(queues or [])
        self.concurrency = concurrency
        self.shutdown_timeout = shutdown_timeout
        self.claim_wait = claim_wait
        self._handlers: Dict[str, _Handler] = {}
        self._runs: Dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._slots = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._heartbeat_due = threading.Event()
        self._ready = threading.Event()
        # Outcomes waiting to be sent: one request carries every outcome that is ready, so a busy
        # worker reports many tasks per round trip and one commit.
        self._outbox: "queue.Queue[tuple[_Run, Dict[str, Any]]]" = queue.Queue()
        self._heartbeat_interval = 10.0
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._loop_thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ registration

    def task(self, type: str, *, timeout: Optional[float] = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Registers the decorated function as the handler of ``type``.

        The function takes the payload, and optionally a :class:`TaskContext`; it may be a plain
        function (run in a thread) or ``async def`` (run on the worker's event loop). What it
        returns (JSON-serialisable) is the task's result. ``timeout`` (seconds) bounds each run
        here when the task itself carries none.
        """

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            if type in self._handlers:
                raise ValueError(f"task type {type!r} has a handler already")
            params = [
                p
                for p in inspect.signature(function).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            self._handlers[type] = _Handler(
                type=type,
                function=function,
                is_async=inspect.iscoroutinefunction(function),
                wants_context=len(params) >= 2,
                timeout=timeout,
            )
            return function

        return register

    @property
    def types(self) -> List[str]:
        return sorted(self._handlers)

    # ------------------------------------------------------------------ lifecycle

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Runs tasks until :meth:`stop` (or SIGTERM/SIGINT, when called from the main thread).

        On a stop it claims nothing more, gives back what it was handed meanwhile, lets running
        tasks finish for up to ``shutdown_timeout`` seconds, then asks the rest to stop and leaves:
        the server queues whatever it still held again, its attempts refunded.
        """
        if not self._handlers:
            raise ValueError("register at least one task type with @worker.task(...) first")
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            # Only an event is set here: a handler that took a lock could deadlock with the main
            # thread it interrupts. The loops notice within a second.
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self._stopping.set())
        self._pool = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="tasklane-task")
        if any(h.is_async for h in self._handlers.values()):
            self._start_loop()
        self._announce()
        heartbeat = threading.Thread(target=self._heartbeat_loop, name="tasklane-heartbeat", daemon=True)
        heartbeat.start()
        reporter = threading.Thread(target=self._report_loop, name="tasklane-reporter", daemon=True)
        reporter.start()
        try:
            self._claim_loop()
        finally:
            self._drain()
            self._stopped.set()
            self._heartbeat_due.set()
            heartbeat.join(timeout=5)
            reporter.join(timeout=5)
            self._pool.shutdown(wait=False, cancel_futures=True)
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
            log.info("worker %s stopped", self.id)

    def wait_ready(self, timeout: Optional[float] = None) -> bool:
        """Waits until the server has registered this worker (its types are accepted from then on)."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        """Begins a graceful shutdown; :meth:`run` returns once it is done. Thread-safe."""
        if not self._stopping.is_set():
            log.info("worker %s stopping: no new tasks; running ones get %s s", self.id, self.shutdown_timeout)
        self._stopping.set()
        with self._slots:
            self._slots.notify_all()

    # ------------------------------------------------------------------ the protocol

    def _announce(self) -> None:
        body = {
            "protocol": PROTOCOL,
            "id": self.id,
            "instance": self.instance,
            "host": socket.gethostname()[:100] or "unknown",
            "pid": os.getpid(),
            "language": "python",
            "client": f"tasklane-python/{__version__}",
            "types": self.types,
            "queues": self.queues,
            "concurrency": self.concurrency,
        }
        delay = 0.5
        while True:
            try:
                answer = self._http.request("POST", "/api/v1/workers", body)
                self._heartbeat_interval = float(answer["heartbeat_interval_seconds"])
                log.info("worker %s serves %s (concurrency %d)", self.id, ", ".join(self.types), self.concurrency)
                self._ready.set()
                return
            except errors.Conflict as e:
                if e.code != "worker_id_in_use":
                    raise
                # A restart under a stable id: the previous process's registration holds the id
                # until its lease lapses (it died without leaving). Wait that out.
                if self._stopping.wait(delay):
                    raise
                log.warning("worker id %s is still held by a previous process; waiting for it to lapse", self.id)
                delay = min(delay * 2, 5.0)
            except (errors.Unreachable, errors.Unavailable) as e:
                if self._stopping.wait(delay):
                    raise
                log.warning("cannot announce worker %s yet (%s); retrying", self.id, e)
                delay = min(delay * 2, 10.0)

    def _claim_loop(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            with self._slots:
                while len(self._runs) >= self.concurrency and not self._stopping.is_set():
                    self._slots.wait(1.0)
                free = self.concurrency - len(self._runs)
            if self._stopping.is_set():
                return
            try:
                answer = self._http.request(
                    "POST",
                    f"/api/v1/workers/{self.id}/claim",
                    {"instance": self.instance, "max": free, "wait": self.claim_wait},
                )
                backoff = 0.5
            except errors.Conflict as e:
                if e.code != "unknown_worker":
                    raise
                self._lost_registration()
                continue
            except errors.TasklaneError as e:
                if not (isinstance(e, errors.Unreachable) or e.status >= 500):
                    raise
                # A proxy's 502/504 on a long poll, a restarting server: wait and claim again.
                log.warning("claim failed (%s); retrying in %.1f s", e, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            tasks = answer["tasks"]
            if self._stopping.is_set():
                self._release(tasks)  # handed over while stopping: back to the queue unstarted
                return
            for task in tasks:
                self._start(task)

    def _start(self, task: Dict[str, Any]) -> None:
        handler = self._handlers[task["type"]]
        timeout = task.get("timeout") if task.get("timeout") is not None else handler.timeout
        ctx = TaskContext(task, self._heartbeat_due.set)
        run = _Run(task, handler, ctx, None if timeout is None else time.monotonic() + float(timeout))
        with self._slots:
            self._runs[run.task_id] = run
        if handler.is_async:
            assert self._loop is not None
            run.future = asyncio.run_coroutine_threadsafe(self._call_async(run), self._loop)
        else:
            assert self._pool is not None
            run.future = self._pool.submit(self._call, run)
        run.future.add_done_callback(lambda f: self._ended(run, f))

    def _call(self, run: _Run) -> Any:
        h = run.handler
        payload = run.task.get("payload")
        return h.function(payload, run.ctx) if h.wants_context else h.function(payload)

    async def _call_async(self, run: _Run) -> Any:
        h = run.handler
        payload = run.task.get("payload")
        return await (h.function(payload, run.ctx) if h.wants_context else h.function(payload))

    def _ended(self, run: _Run, future: concurrent.futures.Future) -> None:
        try:
            if run.settle():
                # The run keeps its slot (and its lease, heartbeated) until the outcome is sent.
                self._outbox.put((run, _outcome(run, future)))
                return
        except Exception:  # never let a broken outcome lose the slot
            log.exception("could not decide the outcome of task %s", run.task_id)
        self._free(run)

    def _free(self, run: _Run) -> None:
        with self._slots:
            # Only this run: the task may have come back to this worker as a newer run meanwhile.
            if self._runs.get(run.task_id) is run:
                del self._runs[run.task_id]
            self._slots.notify_all()

    def _report_loop(self) -> None:
        while not (self._stopped.is_set() and self._outbox.empty()):
            try:
                batch = [self._outbox.get(timeout=0.5)]
            except queue.Empty:
                continue
            while len(batch) < 500:
                try:
                    batch.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self._send_outcomes(batch)
            except Exception:
                log.exception("could not report %d outcome(s); their leases will lapse", len(batch))
            finally:
                for run, _ in batch:
                    self._free(run)
                    self._outbox.task_done()

    def _send_outcomes(self, batch: List["tuple[_Run, Dict[str, Any]]"]) -> None:
        runs = [dict(outcome, task_id=run.task_id, fencing_token=run.task["fencing_token"]) for run, outcome in batch]
        delay = 0.2
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = self._http.request("POST", f"/api/v1/workers/{self.id}/finish", {"runs": runs})
                for status in answer["runs"]:
                    if status["status"] != "written":
                        log.warning("task %s: outcome refused (%s)", status["task_id"], status["status"])
                return
            except (errors.Unreachable, errors.Unavailable) as e:
                if time.monotonic() > deadline:
                    log.error("could not report %d outcome(s) (%s); their leases will lapse", len(runs), e)
                    return
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _release(self, tasks: Iterable[Dict[str, Any]]) -> None:
        runs = [{"task_id": t["id"], "fencing_token": t["fencing_token"]} for t in tasks]
        if not runs:
            return
        try:
            self._http.request("POST", f"/api/v1/workers/{self.id}/release", {"runs": runs})
        except errors.TasklaneError as e:
            log.warning("could not give %d task(s) back (%s); their leases will lapse", len(runs), e)

    # ------------------------------------------------------------------ heartbeats

    def _heartbeat_loop(self) -> None:
        last = time.monotonic()
        while not self._stopped.is_set():
            # Every heartbeat interval, or a second after the last one when progress is waiting;
            # deadlines are checked at least twice a second.
            now = time.monotonic()
            if self._heartbeat_due.is_set():
                pause = max(0.0, min(0.5, last + 1.0 - now))
                if pause:
                    time.sleep(pause)
            else:
                self._heartbeat_due.wait(min(0.5, max(0.0, last + self._heartbeat_interval - now)))
            self._expire_overdue()
            now = time.monotonic()
            due = now - last >= self._heartbeat_interval or (self._heartbeat_due.is_set() and now - last >= 1.0)
            if not due or self._stopped.is_set():
                continue
            self._heartbeat_due.clear()
            last = now
            try:
                self._heartbeat()
            except errors.Conflict as e:
                if e.code == "unknown_worker":
                    self._lost_registration()
                else:
                    log.warning("heartbeat refused: %s", e)
            except errors.TasklaneError as e:
                log.warning("heartbeat failed (%s); retrying", e)
            except Exception:
                log.exception("heartbeat failed")

    def _heartbeat(self) -> None:
        with self._lock:
            runs = [r for r in self._runs.values() if not r.dropped]
        reports = []
        for r in runs:
            report = dict(r.ref)
            p = r.ctx._take_progress()
            if p is not None:
                report["progress"] = p
            reports.append(report)
        answer = self._http.request(
            "POST", f"/api/v1/workers/{self.id}/heartbeat", {"instance": self.instance, "runs": reports}
        )
        self._heartbeat_interval = float(answer.get("heartbeat_interval_seconds", self._heartbeat_interval))
        by_id = {r.task_id: r for r in runs}
        for status in answer["runs"]:
            run = by_id.get(status["task_id"])
            if run is None:
                continue
            if status["status"] == "cancel_requested":
                self._interrupt(run, "cancel_requested")
            elif status["status"] in ("lost", "timed_out"):
                # The server ended the run or gave it to another worker: whatever this one does
                # now is refused there, so stop it and report nothing. (A run whose outcome is on
                # its way was settled here already: its report will be answered as stale.)
                run.dropped = True
                if run.settle():
                    self._interrupt(run, status["status"])
                    log.warning("task %s %s; its run here is dropped", run.task_id, status["status"].replace("_", " "))

    def _expire_overdue(self) -> None:
        now = time.monotonic()
        with self._lock:
            overdue = [r for r in self._runs.values() if r.deadline is not None and now > r.deadline]
        for run in overdue:
            if run.settle():
                self._interrupt(run, "timed_out")
                limit = run.task.get("timeout") or run.handler.timeout
                self._outbox.put((run, {"outcome": "failed", "error": f"timed out after {_fmt(limit)}"}))

    def _interrupt(self, run: _Run, why: str) -> None:
        run.ctx._cancel(why)
        if run.handler.is_async and run.future is not None:
            run.future.cancel()  # raises CancelledError inside the coroutine at its next await

    def _lost_registration(self) -> None:
        """The server no longer knows this worker (it was silent past its lease): its runs went elsewhere."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.dropped = True
            if run.settle():
                self._interrupt(run, "lost")
        log.warning("worker %s was forgotten by the server; announcing it again (%d run(s) lost)", self.id, len(runs))
        self._announce()

    # ------------------------------------------------------------------ shutdown

    def _drain(self) -> None:
        deadline = time.monotonic() + self.shutdown_timeout
        with self._slots:
            while self._runs and time.monotonic() < deadline:
                self._slots.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            left = list(self._runs.values())
        for run in left:
            # Settled first: a run stopped for the shutdown is handed back below, never failed.
            if run.settle():
                run.dropped = True
                self._interrupt(run, "shutdown")
        # Outcomes already decided go out before the worker leaves (which hands back the rest).
        flush_until = time.monotonic() + 70  # the reporter itself gives up after a minute
        while self._outbox.unfinished_tasks and time.monotonic() < flush_until:
            time.sleep(0.02)
        try:
            answer = self._http.request("DELETE", f"/api/v1/workers/{self.id}", query={"instance": self.instance})
            if answer["released"]:
                log.warning("handed %d unfinished task(s) back to the server", len(answer["released"]))
        except errors.TasklaneError as e:
            log.warning("could not leave cleanly (%s); the server recovers the tasks when their leases lapse", e)

    # ------------------------------------------------------------------ async support

    def _start_loop(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            ready.set()
            self._loop.run_forever()

        self._loop_thread = threading.Thread(target=serve, name="tasklane-asyncio", daemon=True)
        self._loop_thread.start()
        ready.wait()


def _outcome(run: _Run, future: concurrent.futures.Future) -> Dict[str, Any]:
    """The finish call's body for a handler that ended, from its result or exception.

    Texts and delays are brought within what the server accepts, so that one odd outcome never
    makes the server refuse the batch it travels in.
    """
    if future.cancelled():
        error: Optional[BaseException] = Cancelled(run.ctx.cancel_reason or "cancelled")
    else:
        error = future.exception()
    if error is None:
        result = future.result()
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as e:
            return {"outcome": "failed", "error": _text(f"the result is not JSON: {e}", 10_000), "permanent": True}
        return {"outcome": "succeeded", "result": result}
    if isinstance(error, Retry):
        body: Dict[str, Any] = {"outcome": "retry", "delay": _delay(error.delay)}
        if error.reason:
            body["reason"] = _text(error.reason, 10_000)
        return body
    if isinstance(error, Snooze):
        return {"outcome": "snoozed", "delay": _delay(error.delay)}
    if isinstance(error, Throttle):
        body = {"outcome": "throttled", "delay": _delay(error.delay)}
        if error.reason:
            body["reason"] = _text(error.reason, 10_000)
        return body
    if isinstance(error, (Cancelled, asyncio.CancelledError)) and run.ctx.cancel_reason == "cancel_requested":
        return {"outcome": "cancelled"}
    if isinstance(error, Fail):
        return {"outcome": "failed", "error": _text(str(error) or "failed", 10_000), "permanent": True}
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {"outcome": "failed", "error": _text(message, 10_000), "stack_trace": _text(trace[-64_000:], 64_000)}


#: The longest delay the server accepts: ten years.
MAX_DELAY_SECONDS = 3650 * 86400


def _delay(seconds: float) -> float:
    if seconds != seconds:  # NaN
        return 0.0
    return min(max(0.0, seconds), float(MAX_DELAY_SECONDS))


def _text(text: str, limit: int) -> str:
    """Text the server stores: no NUL character, at most ``limit`` characters, never empty."""
    cleaned = text.replace("\x00", "\ufffd")[:limit]
    return cleaned or "?"


def _fmt(seconds: Optional[float]) -> str:
    """A duration as the server writes it in its timeout errors: ``30s``, ``500ms``."""
    if seconds is None:
        return "?"
    ms = round(float(seconds) * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
