"""One catalog entry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Item(BaseModel):
    """An item of a catalog: what the agent recommends, explains and grounds names to."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable catalog id (the dataset's own id, as text).")
    title: str = Field(description="Display title as the dataset gives it (MovieLens keeps the year).")
    attributes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Attribute type -> values, e.g. {'genre': ['Comedy'], 'director': ['Nora Ephron']}.",
    )
    text: str = Field(default="", description="Free text: plot or description, '' when unknown.")
    year: int | None = Field(default=None, description="Release year, when known.")
    popularity: float = Field(
        default=0.0,
        description="Positive interactions in the train split (never valid / test, so nothing leaks).",
    )

    def values(self, attribute_type: str) -> list[str]:
        """This item's values of one attribute type ([] when it has none)."""
        return self.attributes.get(attribute_type, [])

    def has(self, attribute_type: str, value: str) -> bool:
        """True when the item carries ``value`` under ``attribute_type``."""
        return value in self.attributes.get(attribute_type, ())
