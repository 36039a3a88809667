"""Unit tests of the client's parts that need no server."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import pytest

from tasklane import Cancelled, Fail, Retry, Snooze, Task, TaskContext, Worker
from tasklane.client import _seconds
from tasklane.worker import _Handler, _outcome, _Run

TASK = {"id": "t1", "type": "x", "queue": "default", "attempt": 1, "max_attempts": 3, "fencing_token": 7, "timeout": None}


def ended(value=None, error=None, cancel=None):
    ctx = TaskContext(TASK, lambda: None)
    if cancel:
        ctx._cancel(cancel)
    run = _Run(TASK, _Handler("x", lambda p: None, False, False, None), ctx, None)
    f: concurrent.futures.Future = concurrent.futures.Future()
    if error is not None:
        f.set_exception(error)
    else:
        f.set_result(value)
    return _outcome(run, f)


def test_outcomes_follow_what_the_handler_returned_or_raised():
    assert ended({"a": 1}) == {"outcome": "succeeded", "result": {"a": 1}}
    assert ended(error=Retry(5, "busy")) == {"outcome": "retry", "delay": 5.0, "reason": "busy"}
    assert ended(error=Snooze(2)) == {"outcome": "snoozed", "delay": 2.0}
    assert ended(error=Fail("bad input")) == {"outcome": "failed", "error": "bad input", "permanent": True}
    failed = ended(error=ValueError("nope"))
    assert failed["outcome"] == "failed" and failed["error"] == "ValueError: nope"
    assert "ValueError: nope" in failed["stack_trace"] and "permanent" not in failed
    assert ended(error=Cancelled("x"), cancel="cancel_requested") == {"outcome": "cancelled"}
    assert ended("done", cancel="cancel_requested") == {"outcome": "succeeded", "result": "done"}, "a success still counts"
    assert ended(object())["outcome"] == "failed"


def test_progress_is_validated_and_reported_once_per_change():
    calls = []
    ctx = TaskContext(TASK, lambda: calls.append(1))
    for bad in (-1, 101, 5.5, True, "50"):
        with pytest.raises(ValueError):
            ctx.progress(bad)
    ctx.progress(10)
    assert ctx._take_progress() == 10
    assert ctx._take_progress() is None
    ctx.progress(10)
    assert ctx._take_progress() is None
    ctx.progress(20)
    assert ctx._take_progress() == 20 and len(calls) == 3


def test_cancellation_is_cooperative():
    ctx = TaskContext(TASK, lambda: None)
    ctx.check_cancelled()
    ctx._cancel("cancel_requested")
    ctx._cancel("timed_out")
    assert ctx.cancelled and ctx.cancel_reason == "cancel_requested"
    with pytest.raises(Cancelled):
        ctx.check_cancelled()


def test_handlers_are_registered_once_with_or_without_a_context():
    w = Worker("http://127.0.0.1:1")

    @w.task("a")
    def a(payload):
        return payload

    @w.task("b")
    async def b(payload, ctx):
        return payload

    assert w.types == ["a", "b"]
    assert not w._handlers["a"].wants_context and not w._handlers["a"].is_async
    assert w._handlers["b"].wants_context and w._handlers["b"].is_async
    with pytest.raises(ValueError):
        w.task("a")(a)
    with pytest.raises(ValueError):
        Worker("http://127.0.0.1:1", concurrency=0)
    with pytest.raises(ValueError):
        Worker("http://127.0.0.1:1").run()  # no task type


def test_tasks_read_from_json_keep_unknown_fields():
    t = Task.from_json({"id": "1", "type": "x", "queue": "q", "state": "succeeded", "result": 3, "future_field": True})
    assert t.done and t.result == 3 and t.raw["future_field"] is True
    assert _seconds(dt.timedelta(minutes=1)) == 60.0 and _seconds(2) == 2.0 and _seconds(None) is None


def test_odd_outcomes_are_brought_within_what_the_server_accepts():
    nan = ended(float("nan"))
    assert nan["outcome"] == "failed" and nan["permanent"]
    long = ended(error=Retry(-5, "x" * 20_000))
    assert long["delay"] == 0.0 and len(long["reason"]) == 10_000
    assert ended(error=Snooze(1e12))["delay"] == 3650 * 86400
    nul = ended(error=Fail("bad\x00byte"))
    assert "\x00" not in nul["error"]
    huge = ended(error=ValueError("y" * 50_000))
    assert len(huge["error"]) == 10_000 and len(huge["stack_trace"]) <= 64_000
