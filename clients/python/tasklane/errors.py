"""Errors the server answers with, one class per kind a caller acts on differently."""

from __future__ import annotations

from typing import Any, Optional


class TasklaneError(Exception):
    """A request the server refused or could not answer.

    ``status`` is the HTTP status (0 when the server could not be reached), ``detail`` the
    server's explanation (a sentence, or FastAPI's list of field errors for a 422), and ``code``
    the machine-readable kind of a worker-protocol conflict (``stale_run``, ``unknown_worker``,
    ``worker_id_in_use``), else ``None``.
    """

    def __init__(self, status: int, detail: Any, code: Optional[str] = None) -> None:
        self.status = status
        self.detail = detail
        self.code = code
        super().__init__(f"{status}: {detail}" if status else str(detail))


class Unreachable(TasklaneError):
    """The server did not answer (connection refused, timeout, TLS failure)."""


class Unauthorized(TasklaneError):
    """401: no token, or one that is unknown, revoked or expired."""


class Forbidden(TasklaneError):
    """403: the token's role (or its scope of types and queues) does not allow this."""


class NotFound(TasklaneError):
    """404: no such task (or one this token may not read)."""


class Conflict(TasklaneError):
    """409: the task is not in a state that allows this, or a worker-protocol conflict (see ``code``)."""


class ValidationError(TasklaneError):
    """422: the request was invalid; ``detail`` lists every invalid field as FastAPI does."""


class QueueFull(TasklaneError):
    """429: the queue holds as many waiting tasks as it may; try again after ``retry_after`` seconds."""

    def __init__(self, status: int, detail: Any, retry_after: Optional[float]) -> None:
        super().__init__(status, detail)
        self.retry_after = retry_after


class Unavailable(TasklaneError):
    """503: the server cannot reach its database right now; try again after ``retry_after`` seconds."""

    def __init__(self, status: int, detail: Any, retry_after: Optional[float]) -> None:
        super().__init__(status, detail)
        self.retry_after = retry_after


class TaskTimeout(TimeoutError):
    """:meth:`Client.wait` gave up before the task finished."""
