"""The call budget inside the ``openai`` SDK's own retry loop: an HTTP transport that knows the deadline.

The SDK retries 429 / 5xx / network failures / timeouts itself (``max_retries``) with its own
backoff and ``Retry-After`` handling. What it cannot know is our budget for the whole call
(``Deadline``). This transport wraps the SDK's and, before each attempt, shortens the attempt's
timeouts to what is left of the budget (or ends the call when nothing is); after a failure it ends
the call instead of letting the SDK retry when the wait before the retry would not fit in what is
left. The SDK passes any ``OpenAIError`` raised here through unchanged and without retrying, which
is how the transport stops it.

The deadline of the call in progress travels in a ``ContextVar``: the SDK runs its retry loop in
the caller's thread (sync) or task (async), so the transport sees the right call.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai

from crsagent.llm.deadline import Deadline

# The SDK's backoff without a Retry-After header: 0.5 s doubling per retry, at most 8 s
# (openai._constants INITIAL_RETRY_DELAY / MAX_RETRY_DELAY); its jitter only shortens it.
_SDK_FIRST_BACKOFF_S = 0.5
_SDK_MAX_BACKOFF_S = 8.0
_RETRY_COUNT_HEADER = "x-stainless-retry-count"


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("crsagent_llm_call", default=None)


class CallBudgetSpent(openai.OpenAIError):
    """No time left for (another) attempt; an ``OpenAIError`` so that the SDK does not retry it."""

    def __init__(self, deadline: Deadline, attempts: int) -> None:
        self.deadline = deadline
        self.attempts = attempts
        super().__init__(f"the call's budget of {deadline.budget_s:g} s is spent after {attempts} attempt(s)")


@contextlib.contextmanager
def budget(deadline: Deadline) -> Iterator[None]:
    """Every attempt the SDK makes inside this block comes out of ``deadline``."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def attempt_of(request: httpx2.Request | None) -> int:
    """1-based attempt number of a request the SDK sent (it counts retries in a header)."""
    if request is None:
        return 1
    try:
        return int(request.headers.get(_RETRY_COUNT_HEADER, "0")) + 1
    except ValueError:
        return 1


# The forms of a server's wait the SDK honours: retry-after-ms, Retry-After in seconds or as a date.
_RETRY_HEADERS: tuple[tuple[str, Callable[[str], float]], ...] = (
    ("retry-after-ms", lambda value: float(value) / 1000),
    ("retry-after", float),
    ("retry-after", lambda value: email.utils.parsedate_to_datetime(value).timestamp() - time.time()),
)


def _retry_wait_s(attempt: int, response: httpx2.Response | None) -> float:
    """The shortest wait the SDK could make before the next attempt."""
    headers = response.headers if response is not None else httpx2.Headers()
    for name, seconds in _RETRY_HEADERS:
        value = headers.get(name)
        if value is not None:
            with contextlib.suppress(TypeError, ValueError):
                return max(0.0, seconds(value))
    return min(_SDK_FIRST_BACKOFF_S * 2 ** (attempt - 1), _SDK_MAX_BACKOFF_S) * 0.75


def _clip(request: httpx2.Request, deadline: Deadline) -> None:
    """Each timeout of this attempt at most what is left of the call's budget."""
    left = deadline.remaining()
    if left <= 0:
        raise CallBudgetSpent(deadline, attempt_of(request) - 1)
    timeouts: dict[str, Any] = dict(request.extensions.get("timeout") or {})
    request.extensions["timeout"] = {
        step: left if value is None else min(value, left)
        for step, value in (timeouts or dict.fromkeys(("connect", "read", "write", "pool"))).items()
    }


def _no_retry_without_time(request: httpx2.Request, response: httpx2.Response, deadline: Deadline) -> None:
    """A retryable status whose wait would not fit in the budget: tell the SDK not to retry it."""
    if response.status_code in (408, 409, 429) or response.status_code >= 500:
        attempt = attempt_of(request)
        if _retry_wait_s(attempt, response) >= deadline.remaining():
            response.headers["x-should-retry"] = "false"


def _end_if_no_time(error: Exception, request: httpx2.Request, deadline: Deadline) -> None:
    """Raise the error that ends the call when no retry fits in the budget (else let the SDK retry)."""
    left = deadline.remaining()
    if left <= 0:
        raise CallBudgetSpent(deadline, attempt_of(request)) from error
    if _retry_wait_s(attempt_of(request), None) < left:
        return
    if isinstance(error, httpx2.TimeoutException):
        raise openai.APITimeoutError(request=request) from error
    raise openai.APIConnectionError(request=request) from error


class BudgetTransport(httpx2.BaseTransport):
    """Wraps the SDK's transport with the call budget (see the module docstring)."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = _current.get()
        if deadline is None:
            return self.inner.handle_request(request)
        _clip(request, deadline)
        try:
            response = self.inner.handle_request(request)
        except (httpx2.TimeoutException, httpx2.NetworkError) as error:
            _end_if_no_time(error, request, deadline)
            raise
        _no_retry_without_time(request, response, deadline)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncBudgetTransport(httpx2.AsyncBaseTransport):
    """The async form of ``BudgetTransport``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if (deadline := _current.get()) is not None:
            _clip(request, deadline)
        try:
            response = await self.inner.handle_async_request(request)
        except (httpx2.TimeoutException, httpx2.NetworkError) as error:
            if deadline is not None:
                _end_if_no_time(error, request, deadline)
            raise
        if deadline is not None:
            _no_retry_without_time(request, response, deadline)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
