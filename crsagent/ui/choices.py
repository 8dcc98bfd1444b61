"""What a visitor may open: the datasets and LLMs the operator offers, checked on the server.

The page's dropdowns show these, but a client can send any value to the server, so every handler
and API endpoint checks the choice here before an agent is built for it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from crsagent.errors import CrsAgentError
from crsagent.ui.sessions import llm_choice, llm_label


class ChoiceRefusedError(CrsAgentError):
    """A dataset or LLM this server does not offer."""


class Offer(BaseModel):
    """The datasets and LLMs of this server; the first of each is what a fresh session opens."""

    datasets: list[str] = Field(min_length=1)
    llms: list[str | None] = Field(min_length=1, description="Model strings; None is the offline mode.")
    allow_any_llm: bool = False
    max_llm_chars: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _each_once_with_offline(self) -> Offer:
        """Each choice once, in order; offline is always offered (it needs nothing), after the first."""
        self.datasets = list(dict.fromkeys(self.datasets))
        self.llms = list(dict.fromkeys([self.llms[0], None, *self.llms]))
        return self

    @property
    def dataset(self) -> str:
        return self.datasets[0]

    @property
    def llm(self) -> str | None:
        return self.llms[0]

    def llm_labels(self) -> list[str]:
        """The LLM dropdown's choices."""
        return [llm_label(llm) for llm in self.llms]

    def check_dataset(self, dataset: object) -> str:
        """``dataset`` if offered, else ``ChoiceRefusedError`` listing what is."""
        if isinstance(dataset, str) and dataset in self.datasets:
            return dataset
        raise ChoiceRefusedError(
            f"dataset {str(dataset)[:80]!r} is not offered here; choose one of: {', '.join(self.datasets)}"
        )

    def check_llm(self, text: object) -> str | None:
        """The LLM selector's value as a model string (None: offline) if offered, else an error."""
        if text is not None and not isinstance(text, str):
            raise ChoiceRefusedError(f"the LLM must be a model string, got {type(text).__name__}")
        llm = llm_choice(text)
        if llm in self.llms:
            return llm
        if llm is not None and len(llm) > self.max_llm_chars:
            raise ChoiceRefusedError(f"model string of {len(llm)} characters; at most {self.max_llm_chars}")
        if self.allow_any_llm:
            return llm
        raise ChoiceRefusedError(
            f"LLM {llm_label(llm)[:80]!r} is not offered here; choose one of: {', '.join(self.llm_labels())} "
            "(the operator can offer more with --llm, or allow any with --allow-any-llm)"
        )
