"""What the user said, as data: the output of understanding (offline NLU or an LLM), the input of policy.

The same model is the LLM's structured output in LLM mode, so every field has a description.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Intent(StrEnum):
    """The main thing the user did this turn."""

    REQUEST = "request"  # asks for recommendations or states wishes / constraints
    ANSWER = "answer"  # answers the agent's question (yes / no, or picks values)
    FEEDBACK = "feedback"  # accepts or rejects recommended items
    ASK_ITEM = "ask_item"  # asks a question about an item ("who directed X?")
    RESTART = "restart"  # wants to start over
    OTHER = "other"  # greeting, thanks, or nothing the agent can use


class ValueRef(BaseModel):
    """An attribute value in the catalog's own spelling."""

    type: str = Field(description="Attribute type, e.g. genre, director, cast, decade, tag.")
    value: str = Field(description="The value as the catalog spells it, e.g. Sci-Fi, Christopher Nolan.")


class UserTurn(BaseModel):
    """One user message, understood."""

    intent: Intent = Field(description="The main thing the user did.")
    answer: Literal["yes", "no"] | None = Field(
        default=None, description="The answer to a yes / no question the agent just asked, if any."
    )
    accepted: list[ValueRef] = Field(default_factory=list, description="Values the user wants.")
    rejected: list[ValueRef] = Field(default_factory=list, description="Values the user does not want.")
    year_min: int | None = Field(default=None, description="Earliest release year wanted.")
    year_max: int | None = Field(default=None, description="Latest release year wanted.")
    liked_items: list[str] = Field(
        default_factory=list, description="Catalog ids of items the user likes or wants more like."
    )
    accepted_items: list[str] = Field(
        default_factory=list, description="Catalog ids of recommended items the user accepts."
    )
    rejected_items: list[str] = Field(
        default_factory=list, description="Catalog ids of items the user rejects (or has seen)."
    )
    mentioned_items: list[str] = Field(
        default_factory=list,
        description="Catalog ids of items the user named without liking or rejecting them ('I haven't seen X').",
    )
    asked_item: str | None = Field(default=None, description="Catalog id of the item the user asks about.")
    asked_attribute: str | None = Field(
        default=None, description="What the user asks about that item: an attribute type, 'text' or 'year'."
    )
    unplaced_titles: list[str] = Field(
        default_factory=list, description="Item names the user mentioned that are not in the catalog."
    )
    soft: list[ValueRef] = Field(
        default_factory=list,
        description="Values the user leans to without insisting (a mood such as 'funny', a user tag): "
        "they rank items, never filter them.",
    )
    recency: Literal["recent", "older"] | None = Field(
        default=None, description="A lean to newer or older items ('something recent', 'a classic')."
    )
    replace: bool = Field(
        default=False,
        description="The user changed topic ('actually, forget that...'): earlier wishes no longer apply.",
    )
    show_now: bool = Field(
        default=False, description="The user wants to see recommendations now ('just show me something')."
    )
    wishes: str = Field(default="", description="Free-text wishes not captured by the fields above.")
    vague_words: list[str] = Field(
        default_factory=list,
        description="Leftover words matched by meaning to soft values, as \"'phrase' -> type:value (cosine)\".",
    )


class TurnContext(BaseModel):
    """What understanding needs to know about the agent's previous turn."""

    asked_type: str | None = Field(default=None, description="Attribute type the agent just asked about.")
    asked_values: list[str] = Field(
        default_factory=list, description="Values offered in that question (one value = a yes / no question)."
    )
    shown_items: list[str] = Field(
        default_factory=list, description="Ids of the items the agent just recommended, in shown order."
    )
