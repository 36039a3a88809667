"""The client against a real server: submit, read, wait, list, cancel, retry, and errors."""

from __future__ import annotations

import datetime as dt

import pytest

from tasklane import (
    Client,
    Conflict,
    Forbidden,
    NotFound,
    TaskTimeout,
    Unauthorized,
    Unreachable,
    ValidationError,
    Worker,
)


def announce(server, task_type: str) -> None:
    """Makes the type known to the server the way a worker does, without running anything."""
    Client(server.url, server.worker_token)._http.request(
        "POST", "/api/v1/workers", {"id": "announcer-" + task_type, "types": [task_type]}
    )


def test_submit_get_and_list(server, task_type):
    announce(server, task_type)
    client = Client(server.url, server.admin_token)
    task = client.submit(task_type, {"path": "cat.png"}, priority=5, queue="images", max_attempts=2, timeout=30)
    assert task.state == "queued"
    assert task.type == task_type and task.queue == "images" and task.priority == 5
    assert task.payload == {"path": "cat.png"} and task.max_attempts == 2 and not task.done

    again = client.get(task.id)
    assert again.id == task.id and again.raw["timeout"] == 30
    page = client.list(type=task_type)
    assert [t.id for t in page.tasks] == [task.id]
    assert page.next_cursor is None


def test_idempotency_key_returns_the_first_task(server, task_type):
    announce(server, task_type)
    client = Client(server.url, server.admin_token)
    first = client.submit(task_type, {"n": 1}, idempotency_key="order-" + task_type)
    second = client.submit(task_type, {"n": 2}, idempotency_key="order-" + task_type)
    assert second.id == first.id and second.payload == {"n": 1}


def test_delay_schedules_and_cancel_and_retry_move_the_task(server, task_type):
    announce(server, task_type)
    client = Client(server.url, server.admin_token)
    later = client.submit(task_type, delay=dt.timedelta(hours=1))
    assert later.state == "scheduled"
    at = client.submit(task_type, run_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    assert at.state == "scheduled"
    cancelled = client.cancel(later.id)
    assert cancelled.state == "cancelled" and cancelled.done
    assert client.retry(later.id).state == "queued"
    with pytest.raises(Conflict):
        client.retry(at.id)  # only failed or cancelled tasks are retried
    with pytest.raises(ValueError):
        client.submit(task_type, run_at=dt.datetime(2030, 1, 1))  # naive datetimes are ambiguous


def test_wait_returns_the_finished_task_or_times_out(server, task_type):
    client = Client(server.url, server.admin_token)
    worker = Worker(server.url, server.worker_token, id="waiter-" + task_type, concurrency=1, claim_wait=1)

    @worker.task(task_type)
    def double(payload):
        return payload["n"] * 2

    import threading

    announce(server, task_type)
    pending = client.submit(task_type, {"n": 21})
    with pytest.raises(TaskTimeout):
        client.wait(pending.id, timeout=0.3)  # no worker runs yet
    runner = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False})
    runner.start()
    try:
        done = client.wait(pending.id, timeout=60)
        assert done.state == "succeeded" and done.result == 42
    finally:
        worker.stop()
        runner.join(30)


def test_errors_say_what_went_wrong(server, task_type):
    client = Client(server.url, server.admin_token)
    with pytest.raises(ValidationError) as bad:
        client.submit("no_such_type_anywhere")
    assert bad.value.status == 422
    assert bad.value.detail[0]["loc"] == ["body", "type"]
    with pytest.raises(NotFound):
        client.get("00000000-0000-7000-8000-000000000000")
    with pytest.raises(Unauthorized):
        Client(server.url, "tlk_not-a-real-token").list()
    with pytest.raises(Unauthorized):
        Client(server.url, token="").list()
    with pytest.raises(Forbidden):
        Client(server.url, server.worker_token).list()  # a worker token only works
    with pytest.raises(Unreachable):
        Client("http://127.0.0.1:9", server.admin_token, timeout=2).list()
    with pytest.raises(ValueError):
        Client("ftp://example.com")
