"""A local OpenAI-compatible HTTP server for tests and benchmarks (stdlib only, 127.0.0.1, any port).

It speaks the chat-completions wire format the ``openai`` SDK expects — JSON answers, Server-Sent
Events when ``stream`` is set, error bodies with status codes and ``Retry-After`` headers — and
answers from a script, so a test can stage exactly the failure it wants:

    with OpenAITestServer([ServerReply.error(429, retry_after_s=0), ServerReply(text="hi")]) as server:
        model = load_chat_model(f"vllm-server:{server.url}#{server.model}")
        assert model.chat([Message.user("hello")]).text == "hi"
        assert len(server.requests) == 2

With ``responder=`` it computes each answer from the request instead (the benchmark echoes).

It is the project's one HTTP test fake: a GET other than ``/v1/models`` takes the next scripted
reply too, so download tests serve archives from it (``ServerReply(raw_body=archive_bytes)``), with
the same failures (status codes, a hang, a body shorter than its ``Content-Length``).
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field


class ServerReply(BaseModel):
    """One scripted HTTP answer to a chat-completions request."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(default="", description="Assistant message content.")
    tool_calls: tuple[tuple[str, str], ...] = Field(default=(), description="(name, arguments JSON) pairs.")
    status: int = Field(default=200, description="HTTP status; not 200 sends an OpenAI-style error body.")
    error_message: str = Field(default="", description="Message of the error body.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra response headers.")
    delay_s: float = Field(default=0.0, ge=0, description="Wait this long before answering.")
    drip_s: float = Field(
        default=0.0,
        ge=0,
        description="Send the body one byte at a time, this many seconds apart (a slow server).",
    )
    raw_body: str | bytes | None = Field(
        default=None, description="Send this body verbatim with status 200: text as JSON, bytes as a file."
    )
    missing_bytes: int = Field(
        default=0,
        ge=0,
        description="Announce this many bytes more than the raw body has, then close (a truncated body).",
    )
    usage: tuple[int, int] | None = Field(
        default=None, description="(prompt, completion) tokens; None counts words."
    )
    finish_reason: str | None = Field(default=None, description="None: 'tool_calls' or 'stop'.")

    @classmethod
    def calling(cls, name: str, text: str = "", **arguments: Any) -> ServerReply:
        return cls(text=text, tool_calls=((name, json.dumps(arguments)),))

    @classmethod
    def error(cls, status: int, message: str = "", retry_after_s: float | None = None) -> ServerReply:
        headers = {} if retry_after_s is None else {"retry-after-ms": str(int(retry_after_s * 1000))}
        return cls(status=status, error_message=message or HTTPStatus(status).phrase, headers=headers)


def _words(body: dict[str, Any]) -> int:
    return sum(
        len(str(m.get("content") or "").split()) for m in body.get("messages", []) if isinstance(m, dict)
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: OpenAITestServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    # Headers and body go out in separate writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    @property
    def owner(self) -> OpenAITestServer:
        return cast(_Server, self.server).owner

    def log_message(self, format: str, *args: Any) -> None:  # tests read requests, not access logs
        return

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        missing_bytes: int = 0,
        drip_s: float = 0.0,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload) + missing_bytes))
        if missing_bytes:
            self.close_connection = True  # the rest never comes
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not drip_s:
            self.wfile.write(payload)
            return
        self.wfile.flush()
        for index in range(len(payload)):
            if self.owner.stopping.wait(drip_s):
                return
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()

    def _send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", headers)

    def do_GET(self) -> None:
        owner = self.owner
        if self.path.rstrip("/").endswith("/v1/models"):
            self._send_json(200, {"object": "list", "data": [{"id": owner.model, "object": "model"}]})
            return
        self._answer(owner, {})

    def do_POST(self) -> None:
        owner = self.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as error:
            self._send_json(
                400, {"error": {"message": f"request is not JSON: {error}", "type": "invalid_request"}}
            )
            return
        self._answer(owner, body)

    def _answer(self, owner: OpenAITestServer, body: dict[str, Any]) -> None:
        """The next scripted reply to this request; a client that gave up (a timeout test) is left."""
        try:
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._send_reply(owner, body, owner.next_reply(body, headers, self.path))
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send_reply(self, owner: OpenAITestServer, body: dict[str, Any], reply: ServerReply) -> None:
        if reply.delay_s and owner.stopping.wait(reply.delay_s):
            return
        if reply.status != 200:
            error = {"error": {"message": reply.error_message, "type": "test_error", "code": reply.status}}
            self._send_json(reply.status, error, reply.headers)
        elif isinstance(reply.raw_body, str):
            self._send(200, reply.raw_body.encode(), "application/json", reply.headers, reply.missing_bytes)
        elif reply.raw_body is not None:
            self._send(200, reply.raw_body, "application/octet-stream", reply.headers, reply.missing_bytes)
        elif body.get("stream"):
            self._stream(owner, body, reply)
        else:
            payload = json.dumps(owner.completion(body, reply)).encode()
            self._send(200, payload, "application/json", reply.headers, drip_s=reply.drip_s)

    def _stream(self, owner: OpenAITestServer, body: dict[str, Any], reply: ServerReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in owner.stream_events(body, reply):
            data = f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class OpenAITestServer:
    """The server; a context manager that starts it on 127.0.0.1 (free port) and stops it."""

    def __init__(
        self,
        replies: Iterable[ServerReply] = (),
        *,
        responder: Callable[[dict[str, Any]], ServerReply] | None = None,
        model: str = "test-model",
    ) -> None:
        self.model = model
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.stopping = threading.Event()
        self._replies: collections.deque[ServerReply] = collections.deque(replies)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> OpenAITestServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        # A short poll interval so that stop() (which waits for the next poll) is quick.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="openai-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAITestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``, for files served at any path."""
        if self._server is None:
            raise RuntimeError("the test server is not started (use it as a context manager)")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """Base URL of the OpenAI API, ending in /v1 like vLLM's."""
        return f"{self.root}/v1"

    # -- script ---------------------------------------------------------------------------------
    def add(self, *replies: ServerReply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self, body: dict[str, Any], headers: dict[str, str], path: str) -> ServerReply:
        """The reply to a request (recorded in ``requests``, ``headers`` with lower-case names, ``paths``)."""
        with self._lock:
            self.paths.append(path)
            self.requests.append(body)
            self.headers.append(headers)
            if self._replies:
                return self._replies.popleft()
        if self.responder is not None:
            return self.responder(body)
        return ServerReply.error(500, f"test server: no scripted reply left for request {len(self.requests)}")

    # -- wire format ----------------------------------------------------------------------------
    def _usage(self, body: dict[str, Any], reply: ServerReply) -> dict[str, int]:
        prompt, completion = reply.usage or (_words(body), len(reply.text.split()))
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _finish(self, reply: ServerReply) -> str:
        return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")

    def completion(self, body: dict[str, Any], reply: ServerReply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
                for i, (name, arguments) in enumerate(reply.tool_calls)
            ]
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish(reply)}],
            "usage": self._usage(body, reply),
        }

    def stream_events(self, body: dict[str, Any], reply: ServerReply) -> Iterator[dict[str, Any] | str]:
        """The SSE ``data:`` payloads: role, text pieces, tool-call pieces, finish, usage, [DONE].

        Made as they are sent: a client that stops reading (a size cap) stops the work too."""

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        yield chunk({"role": "assistant", "content": ""})
        text = reply.text
        for i in range(0, len(text), 4):  # four characters a delta
            yield chunk({"content": text[i : i + 4]})
        for index, (name, arguments) in enumerate(reply.tool_calls):
            half = len(arguments) // 2
            head = {"index": index, "id": f"call_{index}", "type": "function"}
            yield chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": arguments[:half]}}]})
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]})
        yield chunk({}, self._finish(reply))
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {**chunk({}), "choices": [], "usage": self._usage(body, reply)}
        yield "[DONE]"
