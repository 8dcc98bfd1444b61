"""What every request to the HTTP API passes before the app sees it: a size limit on the body, a
per-client rate limit and the API key. Plain ASGI, so each refusal happens before the body is parsed
and comes back as an OpenAI-style error object."""

from __future__ import annotations

import hmac
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crsagent.serve.openai_schema import error_body
from crsagent.serve.settings import ServeLimits

GUARDED_PREFIX = "/v1/"


def error_response(status: int, message: str, kind: str, *, code: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(message, kind, code=code), status_code=status, headers=headers)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: ``rate_burst`` requests at once, refilled at ``rate_per_minute``."""

    def __init__(self, limits: ServeLimits) -> None:
        self.per_second = limits.rate_per_minute / 60.0
        self.burst = limits.rate_burst
        self.max_clients = limits.max_clients_tracked
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_seconds(self, client: str, now: float | None = None) -> float:
        """0 when ``client`` may make a request now (and counts it), else seconds until it may."""
        if self.per_second <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        self._buckets[client] = bucket  # most recent last: the oldest is forgotten first
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.per_second


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else None
    return None


class RequestGuard:
    """ASGI middleware: body size, then rate limit and API key on ``/v1/`` paths."""

    def __init__(self, app: ASGIApp, limits: ServeLimits, api_key: SecretStr | None) -> None:
        self.app = app
        self.limits = limits
        self.rates = RateLimiter(limits)
        self.api_key = api_key.get_secret_value().encode() if api_key is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            too_large = (
                f"request body is larger than {self.limits.max_request_bytes} bytes (max_request_bytes)"
            )
            await error_response(413, too_large, "invalid_request_error", code="request_too_large")(
                scope, receive, send
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # later reads wait for the disconnect, as usual
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limits.max_request_bytes):
            return error_response(
                413,
                f"request body of {length.decode(errors='replace')} bytes is larger than "
                f"{self.limits.max_request_bytes} (max_request_bytes)",
                "invalid_request_error",
                code="request_too_large",
            )
        if not scope["path"].startswith(GUARDED_PREFIX):
            return None
        client = scope.get("client")
        wait = self.rates.wait_seconds(client[0] if client else "unknown")
        if wait > 0:
            response = error_response(
                429,
                f"rate limit reached ({self.limits.rate_per_minute:g} requests per minute); retry in {wait:.1f} s",
                "rate_limit_error",
                code="rate_limit_exceeded",
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        if self.api_key is not None:
            token = _bearer(scope)
            # compare_digest: the time taken does not tell how much of a guessed key was right.
            if token is None or not hmac.compare_digest(token, self.api_key):
                return error_response(
                    401,
                    "missing or incorrect API key: send `Authorization: Bearer KEY`",
                    "invalid_request_error",
                    code="invalid_api_key",
                )
        return None

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit (a chunked body has no Content-Length)."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return bytes(body)
            body += message.get("body", b"")
            if len(body) > self.limits.max_request_bytes:
                return None
            if not message.get("more_body", False):
                return bytes(body)
