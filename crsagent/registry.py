"""The named plug-ins, in one place: ask / recommend policies, recommender models, simulated users.

Each kind is a ``Registry``: name -> ``Plugin`` (a factory, its typed pydantic settings, a one-line
summary, tags). The CLI's choices and help, ``AgentConfig``, evaluation specs, ``make_policy``,
``make_recommender`` and ``make_simulator`` read names from here; nothing else spells them.

This module sits in the lowest layer and imports none of the plug-ins: they are declared as
"module:attribute" strings, imported on first use (simulators register themselves in their package,
which the first lookup imports), so listing names loads no graph, model or torch. Another plug-in
registers with the same call and real objects (docs/architecture.md, "Where to add")::

    POLICIES.register("greedy", summary="...", factory=GreedyPolicy, config=GreedyConfig, tags={AGENT_POLICY})
    POLICIES.get("scpr").settings({"top_mass": 0.5})   # the validated ScprConfig
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError

from crsagent.errors import CrsAgentError
from crsagent.validation import describe_validation_error

T = TypeVar("T")

# A factory or a settings model given as an object, or as "module:attribute" to import on first use.
Target = Callable[..., Any] | str


class UnknownPluginError(CrsAgentError, ValueError):
    """A name no registry entry has (or one not usable where it was given); lists the usable ones."""


class PluginSettingsError(CrsAgentError, ValueError):
    """Settings that a plug-in's typed config refused; the message names the plug-in and the field."""


def _resolve(kind: str, name: str, target: Any) -> Any:
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"{kind} {name!r} needs {error.name!r}, which is not installed (torch comes with the `ml` "
            "extra: pip install 'crsagent[ml]')"
        ) from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise AttributeError(
            f"{kind} {name!r} is declared as {target!r}, but {module_name} has no {attribute}"
        ) from None


@dataclass(frozen=True)
class Plugin(Generic[T]):
    """One named entry: what builds it, its typed settings (None: it takes none), a summary, tags."""

    kind: str
    name: str
    summary: str
    target: Target = field(repr=False)
    config_target: type[BaseModel] | str | None = field(default=None, repr=False)
    tags: frozenset[str] = frozenset()

    def factory(self) -> Callable[..., T]:
        """What builds one (a class or a function; its arguments depend on the kind)."""
        return _resolve(self.kind, self.name, self.target)

    def config_model(self) -> type[BaseModel] | None:
        """The typed settings this plug-in takes; None when it takes none."""
        if self.config_target is None:
            return None
        return _resolve(self.kind, self.name, self.config_target)

    def settings(self, values: BaseModel | Mapping[str, Any] | None = None) -> BaseModel | None:
        """``values`` validated into the plug-in's settings model (its defaults when None).

        A plug-in without settings refuses non-empty ``values``; a wrong or unknown field is a
        ``PluginSettingsError`` naming the plug-in and the field.
        """
        model = self.config_model()
        if model is not None and isinstance(values, model):
            return values
        raw = values.model_dump() if isinstance(values, BaseModel) else dict(values or {})
        if model is None:
            if raw:
                raise PluginSettingsError(f"{self.kind} {self.name!r} takes no settings, got {sorted(raw)}")
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            problems = describe_validation_error(error)
            raise PluginSettingsError(
                f"invalid settings for {self.kind} {self.name!r}: {problems}"
            ) from error


class Registry(Generic[T]):
    """Name -> ``Plugin`` for one kind of plug-in, in registration order."""

    def __init__(self, kind: str, plural: str, *, home: str | None = None) -> None:
        self.kind = kind
        self.plural = plural
        # A package that registers its entries when imported (instead of declaring them here): it is
        # imported on the first lookup, so a caller never sees a registry missing its built-ins.
        self._home = home
        self._entries: dict[str, Plugin[T]] = {}
        self._lock = threading.Lock()

    def _complete(self) -> dict[str, Plugin[T]]:
        if self._home is not None:
            importlib.import_module(self._home)  # already imported (or importing): a dict lookup
        return self._entries

    def register(
        self,
        name: str,
        *,
        summary: str,
        factory: Target,
        config: type[BaseModel] | str | None = None,
        tags: Iterable[str] = (),
        replace: bool = False,
    ) -> Plugin[T]:
        """Add ``name``. ``factory`` / ``config`` are objects or "module:attribute" strings (imported on
        first use). A second registration of a name is refused unless ``replace``."""
        if not name or name != name.strip():
            raise ValueError(f"a {self.kind} name must be non-empty text without outer spaces, got {name!r}")
        for target in (factory, config):
            if isinstance(target, str) and not all(target.partition(":")[::2]):
                raise ValueError(f"{self.kind} {name!r}: expected 'module:attribute', got {target!r}")
        plugin = Plugin[T](self.kind, name, summary, factory, config, frozenset(tags))
        with self._lock:
            if name in self._entries and not replace:
                raise ValueError(f"{self.kind} {name!r} is registered already")
            self._entries[name] = plugin
        return plugin

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a test's or a user's own entry); unknown names are an error."""
        with self._lock:
            self.get(name)
            del self._entries[name]

    def names(self, tag: str | None = None) -> tuple[str, ...]:
        """Registered names in registration order; with ``tag``, those that carry it."""
        return tuple(name for name, plugin in self._complete().items() if tag is None or tag in plugin.tags)

    def get(self, name: str) -> Plugin[T]:
        """The entry for ``name``; an unknown name is an error listing the known ones."""
        plugin = self._complete().get(name)
        if plugin is None:
            raise UnknownPluginError(f"unknown {self.kind} {name!r}; known {self.plural}: {self.listing()}")
        return plugin

    def check(self, name: str, tag: str | None = None) -> str:
        """``name`` if registered (and tagged ``tag``), else an error naming the usable ones."""
        plugin = self.get(name)
        if tag is not None and tag not in plugin.tags:
            meaning = TAG_MEANINGS.get(tag, f"as {tag!r}")
            raise UnknownPluginError(
                f"{self.kind} {name!r} is not usable {meaning}; choose one of: {self.listing(tag)}"
            )
        return name

    def listing(self, tag: str | None = None) -> str:
        """The names, comma separated, for help texts and error messages."""
        return ", ".join(self.names(tag))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._complete()


# Tags callers filter on, and how an error message explains each.
AGENT_POLICY = "agent"
# A policy whose weights are trained on a dataset's valid split with the simulator before use:
# `crsagent eval cpr --policy NAME` trains and stores them; the agent loads the stored ones.
TRAINED_POLICY = "trained"
HISTORY_CF = "history-cf"
# A simulator that needs no LLM (the others take a model string: an evaluation spec's simulator.llm).
OFFLINE_SIMULATOR = "offline"
TAG_MEANINGS: dict[str, str] = {
    AGENT_POLICY: "by the agent",
    TRAINED_POLICY: "as a trained policy",
    HISTORY_CF: "here (an item-item model cheap enough to refit per run is needed)",
}

_KG = "crsagent.knowledge_graph.policies"
POLICIES: Registry[Any] = Registry("policy", "policies")
POLICIES.register(
    "max-entropy",
    summary="ask the value with the most entropy over the candidates (the CPR papers' baseline)",
    factory=f"{_KG}.max_entropy:MaxEntropyPolicy",
    tags={AGENT_POLICY},
)
POLICIES.register(
    "scpr",
    summary="SCPR: ask while the candidates' mass is spread, recommend once it concentrates",
    factory=f"{_KG}.scpr:ScprPolicy",
    config=f"{_KG}.scpr:ScprConfig",
    tags={AGENT_POLICY},
)
POLICIES.register(
    "info-gain",
    summary="ask the value with the most expected information; recommend when confident",
    factory=f"{_KG}.info_gain:InfoGainPolicy",
    config=f"{_KG}.info_gain:InfoGainConfig",
    tags={AGENT_POLICY},
)
POLICIES.register(
    "learned",
    summary="a switch between asking and recommending, trained on the valid split (crsagent eval cpr)",
    factory=f"{_KG}.learned:LearnedPolicy",
    config=f"{_KG}.learned:LearnedPolicyConfig",
    tags={AGENT_POLICY, TRAINED_POLICY},
)
# `crsagent eval cpr` runs the learned policy when none is named: the best on crs-lastfm's valid
# split in both settings (docs/results/cpr-lastfm.md). The agent runs the best untrained one by
# default (it needs no training step); AgentConfig(policy="learned") loads the stored weights.
DEFAULT_EVAL_POLICY = "learned"
DEFAULT_AGENT_POLICY = "info-gain"

_REC = "crsagent.recommenders"
RECOMMENDERS: Registry[Any] = Registry("recommender", "recommenders")
RECOMMENDERS.register(
    "popularity",
    summary="train-split popularity (the cold-start baseline)",
    factory=f"{_REC}.popularity:Popularity",
    config=f"{_REC}.popularity:PopularityConfig",
)
RECOMMENDERS.register(
    "itemknn",
    summary="item-kNN over the cosine similarity of train interactions",
    factory=f"{_REC}.itemknn:ItemKNN",
    config=f"{_REC}.itemknn:ItemKNNConfig",
    tags={HISTORY_CF},
)
RECOMMENDERS.register(
    "ease",
    summary="EASE, a closed-form linear item-item model",
    factory=f"{_REC}.ease:EASE",
    config=f"{_REC}.ease:EASEConfig",
    tags={HISTORY_CF},
)
RECOMMENDERS.register(
    "sasrec",
    summary="SASRec, a self-attentive sequence model (torch: the ml extra)",
    factory=f"{_REC}.sasrec:SASRec",
    config=f"{_REC}.sasrec:SASRecConfig",
)
DEFAULT_AGENT_RECOMMENDER = "ease"


# A settings field naming an item-item recommender (tagged HISTORY_CF), checked against the registry.
HistoryRecommenderName = Annotated[str, AfterValidator(lambda name: RECOMMENDERS.check(name, tag=HISTORY_CF))]

# Simulated users register themselves in crsagent.simulators (their factories share one keyword
# signature there); asking for a name imports that package.
SIMULATORS: Registry[Any] = Registry("simulator", "simulators", home="crsagent.simulators")
