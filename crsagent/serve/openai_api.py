"""``crsagent serve``: the agent as an OpenAI-compatible chat API (FastAPI + uvicorn).

The API is stateless like OpenAI's: each request carries the whole conversation, and
``Agent.respond`` answers its last user message. Routes: ``POST /v1/chat/completions`` (streaming or
not), ``GET /v1/models`` (one model per served dataset), ``GET /v1/models/{id}``, ``GET /health``;
nothing else (no docs or OpenAPI routes). The reply's structure travels beside the text, see
``crsagent.serve.openai_schema``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from crsagent.agent.conversation import ChatMessage, ConversationInputError
from crsagent.errors import CrsAgentError
from crsagent.serve.http_guards import RequestGuard, error_response
from crsagent.serve.openai_schema import ChatCompletionRequest, completion, completion_chunks, error_body
from crsagent.serve.settings import ServeLimits, ServeOptions
from crsagent.serve.turns import TurnGate, TurnTimeoutError

if TYPE_CHECKING:
    from crsagent.agent import Agent
    from crsagent.config import Settings

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers with an OpenAI-style error object."""

    def __init__(
        self, status: int, message: str, kind: str = "invalid_request_error", *, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param


def _messages(request: ChatCompletionRequest, limits: ServeLimits) -> list[ChatMessage]:
    """The agent's view of the messages: developer counts as system, tool results are dropped
    (the only tool the API names, show_items, has no result worth reading)."""
    if len(request.messages) > limits.max_messages:
        raise ApiError(
            400,
            f"{len(request.messages)} messages is more than {limits.max_messages} (max_messages)",
            param="messages",
        )
    messages = []
    for position, message in enumerate(request.messages):
        if isinstance(message.content, list) and any(part.type != "text" for part in message.content):
            kinds = sorted({part.type for part in message.content if part.type != "text"})
            raise ApiError(
                400,
                f"message {position} has {', '.join(kinds)} content; only text is understood",
                param=f"messages.{position}.content",
            )
        text = message.text()
        if len(text) > limits.max_message_chars:
            raise ApiError(
                400,
                f"message {position} has {len(text)} characters, more than {limits.max_message_chars} (max_message_chars)",
                param=f"messages.{position}.content",
            )
        if message.role == "tool":
            continue
        role = "system" if message.role == "developer" else message.role
        messages.append(ChatMessage(role=role, content=text))
    return messages


def _validation_message(error: RequestValidationError) -> tuple[str, str | None]:
    problem = error.errors()[0]
    location = [str(part) for part in problem.get("loc", ()) if part != "body"]
    param = ".".join(location) or None
    return (f"{param}: {problem.get('msg')}" if param else str(problem.get("msg"))), param


def create_app(
    agents: Mapping[str, Agent], limits: ServeLimits, *, api_key: SecretStr | None = None
) -> FastAPI:
    """The API over ``agents`` (model name -> agent); with ``api_key``, /v1 requests need it."""
    app = FastAPI(title="crsagent", docs_url=None, redoc_url=None, openapi_url=None)
    gate = TurnGate(limits)
    started = int(time.time())

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        body = error_body(error.message, error.kind, param=error.param)
        return JSONResponse(body, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(error)
        return await api_error(_, ApiError(400, message, param=param))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if error.status_code == 404 else "invalid_request_error"
        return error_response(error.status_code, str(error.detail), kind)

    def model_card(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": started, "owned_by": "crsagent"}

    def agent_for(model: str) -> Agent:
        agent = agents.get(model)
        if agent is None:
            raise ApiError(
                404,
                f"model {model!r} is not served here; served: {', '.join(agents)}",
                "not_found_error",
                param="model",
            )
        return agent

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_card(name) for name in agents]}

    @app.get("/v1/models/{model}")
    async def model(model: str) -> dict[str, Any]:
        agent_for(model)
        return model_card(model)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        agent = agent_for(request.model)
        messages = _messages(request, limits)
        try:
            answer = await gate.run(lambda: agent.respond(messages))
        except ConversationInputError as error:
            raise ApiError(400, str(error), param="messages") from error
        except TurnTimeoutError as error:
            raise ApiError(504, str(error), "timeout_error") from error
        except CrsAgentError as error:
            logger.warning("turn failed: %s", error)
            raise ApiError(500, f"the agent failed on this conversation: {error}", "server_error") from error
        if not request.stream:
            return JSONResponse(completion(answer, request.model))
        include_usage = request.stream_options is not None and request.stream_options.include_usage
        chunks = completion_chunks(answer, request.model, include_usage=include_usage)

        async def events() -> AsyncIterator[str]:
            for chunk in chunks:
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    app.add_middleware(RequestGuard, limits=limits, api_key=api_key)
    return app


def run_server(options: ServeOptions, settings: Settings) -> None:
    """Build the agents (failing here, clearly, rather than at the first request), then serve."""
    import uvicorn

    from crsagent.agent import Agent

    # One agent per served dataset, named as the dataset (the API's model ids).
    built = [Agent.from_dataset(dataset, llm=options.llm, settings=settings) for dataset in options.datasets]
    agents = {agent.dataset.name: agent for agent in built}
    app = create_app(agents, options.limits, api_key=options.api_key)
    key = "an API key" if options.api_key is not None else "no API key"
    print(
        f"crsagent serve: models {', '.join(agents)} at http://{options.host}:{options.port}/v1 ({key}; Ctrl+C stops)",
        flush=True,
    )
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", server_header=False)
