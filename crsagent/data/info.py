"""A dataset's vital statistics, for ``crsagent data info`` and reports."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crsagent.data.dataset import Dataset


class AttributeInfo(BaseModel):
    """One attribute type of a catalog."""

    type: str
    values: int = Field(description="Distinct values of this type.")
    items_with_values: int = Field(description="Items carrying at least one value of this type.")
    examples: list[str] = Field(description="The most common values, most common first.")


class DatasetInfo(BaseModel):
    """Counts that must match the dataset's documentation."""

    name: str
    demo: bool
    items: int
    users: int
    interactions: int = Field(description="Raw events (for MovieLens: every rating).")
    positives: int = Field(description="Events that count as liked.")
    attributes: list[AttributeInfo]
    splits: dict[str, int] = Field(description="Split name -> positives in it.")
    split_users: dict[str, int] = Field(description="Split name -> users with a positive in it.")
    notes: dict[str, str]

    @classmethod
    def of(cls, dataset: Dataset, *, examples: int = 5) -> DatasetInfo:
        """Compute the statistics of a loaded dataset."""
        catalog = dataset.catalog
        attributes = []
        for attribute_type in catalog.attribute_types:
            counts = catalog.value_counts.get(attribute_type)
            if not counts:
                continue
            attributes.append(
                AttributeInfo(
                    type=attribute_type,
                    values=len(counts),
                    items_with_values=sum(1 for item in catalog if item.values(attribute_type)),
                    examples=[value for value, _ in counts.most_common(examples)],
                )
            )
        return cls(
            name=dataset.name,
            demo=dataset.is_demo,
            items=len(catalog),
            users=len(dataset.user_ids),
            interactions=len(dataset.interactions),
            positives=len(dataset.positives),
            attributes=attributes,
            splits={name: len(split) for name, split in dataset.splits.items()},
            split_users={name: split.n_users for name, split in dataset.splits.items()},
            notes=dataset.notes,
        )

    def render(self) -> str:
        """Plain text, one count per line."""
        lines = [f"dataset: {self.name}{'  (DEMO catalog: no real interactions)' if self.demo else ''}"]
        lines += [
            f"items: {self.items}",
            f"users: {self.users}",
            f"interactions: {self.interactions}",
            f"positives: {self.positives}",
            f"attribute types: {len(self.attributes)}",
        ]
        for attribute in self.attributes:
            lines.append(
                f"  {attribute.type}: {attribute.values} values on {attribute.items_with_values} items"
                f" (e.g. {', '.join(attribute.examples)})"
            )
        lines.append("splits:")
        for name, size in self.splits.items():
            lines.append(f"  {name}: {size} positives, {self.split_users[name]} users")
        for key, value in self.notes.items():
            lines.append(f"note {key}: {value}")
        return "\n".join(lines)
