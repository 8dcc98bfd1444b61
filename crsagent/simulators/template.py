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

from pydantic import BaseModel, ConfigDict, Field

from crsagent.knowledge_graph.graph import KnowledgeGraph
from crsagent.simulators.phrasings import load_phrasings
from crsagent.simulators.render import Renderer, RenderStyle
from crsagent.simulators.rule import RuleUser, catalog_domain


class TemplateConfig(BaseModel):
    """How the template user words its decisions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    typo_rate: float = Field(
        default=0.03, ge=0, le=1, description="Chance of a typo in each word (4+ letters) outside values."
    )
    value_typo_rate: float = Field(
        default=0.0, ge=0, le=1, description="Chance of a typo in each word (4+ letters) of a value or title."
    )
    lowercase_rate: float = Field(
        default=0.3, ge=0, le=1, description="Chance a value is written in lower case."
    )
    title_year_rate: float = Field(
        default=0.3, ge=0, le=1, description="Chance an accepted title is written with its year."
    )
    accept_by_title_rate: float = Field(
        default=0.5, ge=0, le=1, description="Chance of accepting by title rather than by position."
    )
    domain: Literal["auto", "movies", "music"] = Field(
        default="auto", description="Which nouns name the items; auto: music for Last.fm catalogs."
    )
    phrasings: Path | None = Field(default=None, description="A phrasings file of one's own (JSON).")

    def style(self) -> RenderStyle:
        return RenderStyle(
            varied=True,
            typo_rate=self.typo_rate,
            value_typo_rate=self.value_typo_rate,
            lowercase_rate=self.lowercase_rate,
            title_year_rate=self.title_year_rate,
            accept_by_title_rate=self.accept_by_title_rate,
        )


class TemplateUser(RuleUser):
    """``RuleUser``'s decisions as varied text; the agent gets no structured turn."""

    structured = False

    def __init__(self, kg: KnowledgeGraph, *, seed: int = 0, config: TemplateConfig | None = None) -> None:
        super().__init__(kg, seed=seed)
        self.config = config or TemplateConfig()
        domain = catalog_domain(kg) if self.config.domain == "auto" else self.config.domain
        self._renderer = Renderer(load_phrasings(self.config.phrasings), domain, self.config.style())
