"""The template user: the rule user's decisions, said in varied natural language (no LLM).

Running it beside ``RuleUser`` with the same seed isolates the cost of understanding: both make
the same decisions (same seed, same decision stream), but this one sends only text (``turn=None``),
so the agent's NLU must recover what the rule user hands over as data. Phrasings come from
``data/phrasings.json`` (or a file of one's own), which the NLU never reads.

Typos: ``typo_rate`` applies to the phrasing's own words, ``value_typo_rate`` to attribute values
and titles. The default misspells a few ordinary words and no values, so the default run measures
paraphrase understanding; raise ``value_typo_rate`` to measure robustness to misspelt values (the
harder case: "Tarantion" for "Tarantino").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators.phrasings import load_phrasings
from crsagent.simulators.render import Renderer, RenderStyle
from crsagent.simulators.rule import RuleUser, catalog_domain


class TemplateConfig(RenderStyle):
    """How the template user words its decisions: the noise rates, the nouns, the phrasings."""

    domain: Literal["auto", "movies", "music"] = Field(
        default="auto", description="Which nouns name the items; auto: music for Last.fm catalogs."
    )
    phrasings: Path | None = Field(default=None, description="A phrasings file of one's own (JSON).")


class TemplateUser(RuleUser):
    """``RuleUser``'s decisions as varied text; the agent gets no structured turn."""

    structured = False

    def __init__(self, kg: KnowledgeGraph, *, seed: int = 0, config: TemplateConfig | None = None) -> None:
        super().__init__(kg, seed=seed)
        self.config = config or TemplateConfig()
        domain = catalog_domain(kg.catalog.name) if self.config.domain == "auto" else self.config.domain
        self._renderer = Renderer(load_phrasings(self.config.phrasings), domain, self.config)
