"""Submitting and following tasks: :class:`Client`."""

from __future__ import annotations

import datetime as _dt
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

from . import errors
from ._http import Http

#: States a task never leaves.
TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class Task:
    """A task as the server shows it. ``raw`` keeps every field, also ones this client predates."""

    id: str
    type: str
    queue: str
    state: str
    priority: int
    payload: Any
    attempt: int
    max_attempts: int
    progress: int
    result: Any = None
    last_error: Optional[str] = None
    run_at: Optional[str] = None
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    idempotency_key: Optional[str] = None
    errors: List[Dict[str, Any]] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """Whether the task reached a state it never leaves (succeeded, failed, cancelled)."""
        return self.state in TERMINAL_STATES

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> "Task":
        return cls(
            id=j["id"],
            type=j["type"],
            queue=j["queue"],
            state=j["state"],
            priority=j.get("priority", 0),
            payload=j.get("payload"),
            attempt=j.get("attempt", 0),
            max_attempts=j.get("max_attempts", 0),
            progress=j.get("progress", 0),
            result=j.get("result"),
            last_error=j.get("last_error"),
            run_at=j.get("run_at"),
            created_at=j.get("created_at"),
            started_at=j.get("started_at"),
            finished_at=j.get("finished_at"),
            idempotency_key=j.get("idempotency_key"),
            errors=list(j.get("errors") or []),
            raw=dict(j),
        )


@dataclass(frozen=True)
class TaskPage:
    """One page of :meth:`Client.list`; pass ``next_cursor`` as ``cursor`` for the next."""

    tasks: List[Task]
    next_cursor: Optional[str]


Seconds = Union[int, float, _dt.timedelta]


def _seconds(value: Optional[Seconds]) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return float(value)


class Client:
    """Talks to a Tasklane server: submit tasks, read them, wait for them, cancel and retry them.

    ``token`` defaults to the ``TASKLANE_TOKEN`` environment variable; a server on loopback with no
    credential configured needs none. ``cafile`` names a PEM certificate to trust for ``https``.
    Every method raises a :class:`tasklane.TasklaneError` subclass when the server refuses.
    Thread-safe.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        cafile: Optional[str] = None,
    ) -> None:
        self._http = Http(url, token, timeout, cafile)

    @property
    def url(self) -> str:
        return self._http.base

    def submit(
        self,
        type: str,
        payload: Any = None,
        *,
        priority: Optional[int] = None,
        queue: Optional[str] = None,
        delay: Optional[Seconds] = None,
        run_at: Optional[_dt.datetime] = None,
        max_attempts: Optional[int] = None,
        timeout: Optional[Seconds] = None,
        idempotency_key: Optional[str] = None,
    ) -> Task:
        """Submits a task; it is durable when this returns.

        A repeated ``idempotency_key`` returns the task first submitted with it instead of making
        another. ``delay`` (seconds or a timedelta) or ``run_at`` (an aware datetime) schedules it
        for later; ``timeout`` bounds each attempt's run.
        """
        body: Dict[str, Any] = {"type": type}
        if payload is not None:
            body["payload"] = payload
        if priority is not None:
            body["priority"] = priority
        if queue is not None:
            body["queue"] = queue
        if delay is not None:
            body["delay"] = _seconds(delay)
        if run_at is not None:
            if run_at.tzinfo is None:
                raise ValueError("run_at must be timezone-aware")
            body["run_at"] = run_at.isoformat()
        if max_attempts is not None:
            body["max_attempts"] = max_attempts
        if timeout is not None:
            body["timeout"] = _seconds(timeout)
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        return Task.from_json(self._http.request("POST", "/api/v1/tasks", body))

    def get(self, task_id: str) -> Task:
        """The task now; :class:`tasklane.NotFound` if there is none."""
        return Task.from_json(self._http.request("GET", f"/api/v1/tasks/{_path(task_id)}"))

    def wait(self, task_id: str, timeout: Optional[Seconds] = None, *, poll: float = 0.2) -> Task:
        """Waits until the task is succeeded, failed or cancelled and returns it.

        Raises :class:`tasklane.TaskTimeout` if ``timeout`` seconds pass first (``None``: wait
        as long as it takes). Polls every ``poll`` seconds, backing off to at most 2 s.
        """
        limit = _seconds(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        interval = poll
        while True:
            task = self.get(task_id)
            if task.done:
                return task
            if deadline is not None and time.monotonic() >= deadline:
                raise errors.TaskTimeout(f"task {task_id} is still {task.state} after {limit} s")
            pause = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
            time.sleep(pause)
            interval = min(interval * 1.5, 2.0)

    def cancel(self, task_id: str) -> Task:
        """Cancels a waiting task at once, or asks the worker running it to stop."""
        return Task.from_json(self._http.request("POST", f"/api/v1/tasks/{_path(task_id)}/cancel"))

    def retry(self, task_id: str) -> Task:
        """Queues a failed or cancelled task again."""
        return Task.from_json(self._http.request("POST", f"/api/v1/tasks/{_path(task_id)}/retry"))

    def list(
        self,
        *,
        state: Optional[str] = None,
        queue: Optional[str] = None,
        type: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> TaskPage:
        """One page of tasks, newest first, filtered by state, queue and type."""
        page = self._http.request(
            "GET",
            "/api/v1/tasks",
            query={"state": state, "queue": queue, "type": type, "limit": limit, "cursor": cursor},
        )
        return TaskPage([Task.from_json(t) for t in page["tasks"]], page.get("next_cursor"))

    def explain(self, task_id: str) -> Dict[str, Any]:
        """Why the task is where it is: ``code``, a ``message`` and the facts (``details``)."""
        return self._http.request("GET", f"/api/v1/tasks/{_path(task_id)}/explain")

    # ------------------------------------------------------------------ schedules

    def set_schedule(
        self,
        name: str,
        type: str,
        payload: Any = None,
        *,
        cron: Optional[str] = None,
        zone: Optional[str] = None,
        every: Optional[Seconds] = None,
        priority: Optional[int] = None,
        queue: Optional[str] = None,
        max_attempts: Optional[int] = None,
        timeout: Optional[Seconds] = None,
        misfire: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Defines a schedule (a recurring task), or redefines the one named ``name``.

        Give ``cron`` (5 or 6 fields, or ``@daily`` ...; read in ``zone``, UTC by default) or
        ``every`` (whole seconds, or a timedelta). Each tick submits one task of ``type`` with
        ``payload``. ``misfire``: ``"skip"`` (default) or ``"run_once"`` for ticks missed by more
        than a minute. Returns the schedule with its ``next_run_at``.
        """
        body: Dict[str, Any] = {"task": {"type": type}}
        if cron is not None:
            body["cron"] = cron
        if zone is not None:
            body["zone"] = zone
        if every is not None:
            seconds = _seconds(every)
            if seconds is None or seconds != int(seconds):
                raise ValueError("every must be whole seconds")
            body["every"] = int(seconds)
        task = body["task"]
        if payload is not None:
            task["payload"] = payload
        if priority is not None:
            task["priority"] = priority
        if queue is not None:
            task["queue"] = queue
        if max_attempts is not None:
            task["max_attempts"] = max_attempts
        if timeout is not None:
            task["timeout"] = _seconds(timeout)
        if misfire is not None:
            body["misfire"] = misfire
        return self._http.request("PUT", f"/api/v1/schedules/{_path(name)}", body)

    def schedules(self) -> List[Dict[str, Any]]:
        """Every schedule, by name, with its next and last run."""
        return self._http.request("GET", "/api/v1/schedules")["schedules"]

    def schedule(self, name: str) -> Dict[str, Any]:
        """One schedule; :class:`tasklane.NotFound` if there is none."""
        return self._http.request("GET", f"/api/v1/schedules/{_path(name)}")

    def pause_schedule(self, name: str) -> Dict[str, Any]:
        """Pauses a schedule on every node."""
        return self._http.request("POST", f"/api/v1/schedules/{_path(name)}/pause")

    def resume_schedule(self, name: str) -> Dict[str, Any]:
        """Resumes a schedule from its next tick after now."""
        return self._http.request("POST", f"/api/v1/schedules/{_path(name)}/resume")

    def run_schedule(self, name: str) -> Task:
        """Submits the schedule's task now, outside its ticks."""
        return Task.from_json(self._http.request("POST", f"/api/v1/schedules/{_path(name)}/run"))

    def delete_schedule(self, name: str) -> None:
        """Deletes a schedule; the tasks it created stay."""
        self._http.request("DELETE", f"/api/v1/schedules/{_path(name)}")

    # ------------------------------------------------------------------ rate limits

    def set_rate_limit(
        self,
        scope: str,
        target: str,
        limit: int,
        *,
        per: Seconds = 1,
        burst: Optional[int] = None,
        key_field: Optional[str] = None,
    ) -> Dict[str, Any]:
        """At most ``limit`` starts per ``per`` seconds for a ``"queue"``'s or ``"type"``'s tasks,
        across every server and worker; ``burst`` (default ``limit``) may start at once after a
        quiet spell; with ``key_field``, each value of that payload field has its own limit."""
        body: Dict[str, Any] = {"limit": limit, "per": _seconds(per)}
        if burst is not None:
            body["burst"] = burst
        if key_field is not None:
            body["key_field"] = key_field
        return self._http.request("PUT", f"/api/v1/rate-limits/{_path(scope)}/{_path(target)}", body)

    def rate_limits(self) -> List[Dict[str, Any]]:
        """Every rate limit."""
        return self._http.request("GET", "/api/v1/rate-limits")["rate_limits"]

    def delete_rate_limit(self, scope: str, target: str) -> None:
        """Removes a rate limit."""
        self._http.request("DELETE", f"/api/v1/rate-limits/{_path(scope)}/{_path(target)}")


def _path(segment: str) -> str:
    return urllib.parse.quote(str(segment), safe="")
