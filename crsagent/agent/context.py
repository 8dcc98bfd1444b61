"""The graph's run context: which dataset and LLM a turn runs on, resolved to an ``AgentRuntime``.

LangGraph's server (``langgraph dev``, Studio) passes a run's context as a JSON dict and LangGraph
turns it into the graph's context schema, so that schema must be small and JSON-shaped:
``GraphContext`` names a dataset and an LLM, both optional, and ``runtime_for`` builds the heavy
runtime for them once (cached, a few at most). The ``Agent`` facade passes an ``AgentContext``
holding the runtime it already built, which is used as is.

A run's caller chooses the context, so it may only pick what the operator offers
(``GraphSettings``): a model string typed by a client could point the server at any URL, and every
new dataset or LLM builds a runtime (~600 MB on ml-latest-small).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

from crsagent.agent.config import AgentConfig
from crsagent.agent.pool import AgentPool
from crsagent.agent.runtime import AgentRuntime
from crsagent.config import Settings
from crsagent.data.registry import load_dataset
from crsagent.errors import CrsAgentError
from crsagent.llm.model_string import chat_model_from_settings, load_chat_model
from crsagent.llm.protocol import ChatModel

DEFAULT = "default"
OFFLINE = "offline"


class GraphContextError(CrsAgentError, ValueError):
    """A run's context names a dataset or LLM this server does not offer."""


class GraphSettings(BaseSettings):
    """What a run's context may choose under LangGraph's server (``CRSAGENT_GRAPH_<FIELD>``)."""

    model_config = SettingsConfigDict(env_prefix="CRSAGENT_GRAPH_", extra="ignore")

    datasets: list[str] = Field(
        default_factory=list,
        description="Dataset names a run may pick besides the default (CRSAGENT_DEFAULT_DATASET) and demo "
        "(a JSON list, e.g. '[\"crs-lastfm\"]').",
    )
    llms: list[str] = Field(
        default_factory=list,
        description="Model strings a run may pick besides offline and the configured one (CRSAGENT_LLM_MODEL).",
    )
    max_runtimes: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Runtimes kept built (one per dataset and LLM); the least recently used is dropped.",
    )


class GraphContext(BaseModel):
    """The run context a LangGraph client may send: which dataset and LLM answer the turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str | None = Field(
        default=None,
        max_length=200,
        description="Dataset name; default: CRSAGENT_DEFAULT_DATASET (the demo catalog when it is absent).",
    )
    llm: str | None = Field(
        default=None,
        max_length=500,
        description="'offline' or a model string the server offers; default: CRSAGENT_LLM_MODEL (offline if unset).",
    )


class AgentContext(GraphContext):
    """The context the ``Agent`` facade passes: its own, already built runtime (not a field: it is
    no JSON and no part of the graph's context schema)."""

    _runtime: AgentRuntime = PrivateAttr()

    @classmethod
    def holding(cls, runtime: AgentRuntime) -> AgentContext:
        context = cls()
        context._runtime = runtime
        return context

    @property
    def runtime(self) -> AgentRuntime:
        return self._runtime


# Built runtimes by (dataset, llm), the least recently used dropped past CRSAGENT_GRAPH_MAX_RUNTIMES.
RUNTIMES: AgentPool[AgentRuntime] = AgentPool(
    lambda dataset, llm: _build(dataset, llm, Settings(), GraphSettings()),
    max_agents=lambda: GraphSettings().max_runtimes,
)


def runtime_for(context: GraphContext | None) -> AgentRuntime:
    """The runtime a run's context names: the facade's own, or one built (once) for its choice."""
    if isinstance(context, AgentContext):
        return context.runtime
    context = context or GraphContext()
    return RUNTIMES.get(context.dataset or DEFAULT, context.llm)


def _build(dataset: str, llm: str | None, settings: Settings, offer: GraphSettings) -> AgentRuntime:
    datasets = {DEFAULT, "demo", settings.default_dataset, *offer.datasets}
    if dataset not in datasets:
        raise GraphContextError(
            f"context.dataset {dataset!r} is not served here; pick one of {sorted(datasets)} "
            "(the operator offers more through CRSAGENT_GRAPH_DATASETS)"
        )
    llms = {OFFLINE, *offer.llms, *([settings.llm_model] if settings.llm_model else [])}
    if llm is not None and llm not in llms:
        raise GraphContextError(
            f"context.llm {llm!r:.80} is not offered here; pick one of {sorted(llms)} "
            "(the operator offers more through CRSAGENT_GRAPH_LLMS)"
        )
    return AgentRuntime.build(
        load_dataset(dataset, settings=settings),
        settings=settings,
        config=AgentConfig(),
        chat_model=chat_model_for(llm, settings),
    )


def chat_model_for(llm: ChatModel | str | None, settings: Settings) -> ChatModel | None:
    """``llm`` as a model: a model string is loaded, 'offline' (or 'none', '') is none, and None is
    what ``settings`` configure (``CRSAGENT_LLM_MODEL``; offline when unset)."""
    if llm is None:
        return chat_model_from_settings(settings)
    if isinstance(llm, str):
        return None if llm in (OFFLINE, "none", "") else load_chat_model(llm, settings)
    return llm
