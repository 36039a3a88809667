"""JSON over HTTP with the standard library: one place for headers, errors and TLS."""

from __future__ import annotations

import json
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Optional

from . import errors
from ._version import __version__

USER_AGENT = f"tasklane-python/{__version__}"


class Http:
    """Sends JSON requests to one server with one token; thread-safe (no shared connection)."""

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        timeout: float = 30.0,
        cafile: Optional[str] = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.base = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("TASKLANE_TOKEN") or None
        self.timeout = timeout
        self._context = ssl.create_default_context(cafile=cafile) if parsed.scheme == "https" else None

    def request(
        self,
        method: str,
        path: str,
        body: Optional[Mapping[str, Any]] = None,
        query: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """Sends one request and returns the decoded JSON answer; raises a :class:`TasklaneError`."""
        url = self.base + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(
                req, timeout=timeout if timeout is not None else self.timeout, context=self._context
            ) as res:
                raw = res.read()
        except urllib.error.HTTPError as e:
            raise _error(e) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise errors.Unreachable(0, f"{method} {url}: {reason}") from None
        return json.loads(raw) if raw else None


def _error(e: urllib.error.HTTPError) -> errors.TasklaneError:
    raw = e.read()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {"detail": raw.decode("utf-8", "replace")}
    detail = body.get("detail", body) if isinstance(body, dict) else body
    code = body.get("code") if isinstance(body, dict) else None
    retry_after = _seconds(e.headers.get("Retry-After"))
    status = e.code
    if status == 401:
        return errors.Unauthorized(status, detail)
    if status == 403:
        return errors.Forbidden(status, detail)
    if status == 404:
        return errors.NotFound(status, detail)
    if status == 409:
        return errors.Conflict(status, detail, code)
    if status == 422:
        return errors.ValidationError(status, detail)
    if status == 429:
        return errors.QueueFull(status, detail, retry_after)
    if status == 503:
        return errors.Unavailable(status, detail, retry_after)
    return errors.TasklaneError(status, detail, code)


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
