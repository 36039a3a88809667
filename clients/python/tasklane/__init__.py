"""Tasklane for Python: submit tasks to a Tasklane server (:class:`Client`) and run them in
Python (:class:`Worker`). Standard library only.

::

    from tasklane import Client, Worker

    client = Client("http://127.0.0.1:8000")
    task = client.submit("resize_image", {"path": "cat.png"})

    worker = Worker("http://127.0.0.1:8000")

    @worker.task("resize_image")
    def resize(payload, ctx):
        ...

    worker.run()
"""

from ._version import __version__
from .client import TERMINAL_STATES, Client, Task, TaskPage
from .errors import (
    Conflict,
    Forbidden,
    NotFound,
    QueueFull,
    TaskTimeout,
    TasklaneError,
    Unauthorized,
    Unavailable,
    Unreachable,
    ValidationError,
)
from .worker import Cancelled, Fail, Retry, Snooze, TaskContext, Throttle, Worker

__all__ = [
    "__version__",
    "Client",
    "Task",
    "TaskPage",
    "TERMINAL_STATES",
    "Worker",
    "TaskContext",
    "Retry",
    "Snooze",
    "Throttle",
    "Fail",
    "Cancelled",
    "TasklaneError",
    "Unreachable",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ValidationError",
    "QueueFull",
    "Unavailable",
    "TaskTimeout",
]
