"""A four-item catalog whose right answers are obvious: two space films liked together, two comedies
liked together (train split only)."""

from __future__ import annotations

from crsagent.data import Catalog, Dataset, Interactions, Item


def dataset() -> Dataset:
    items = [
        Item(
            id="a",
            title="Space Station",
            attributes={"genre": ["Sci-Fi"]},
            text="astronauts on a space station",
        ),
        Item(
            id="b",
            title="Alien Planet",
            attributes={"genre": ["Sci-Fi"]},
            text="astronauts land on an alien planet",
        ),
        Item(id="c", title="Wedding Plans", attributes={"genre": ["Comedy"]}, text="a wedding goes wrong"),
        Item(
            id="d", title="Office Party", attributes={"genre": ["Comedy"]}, text="an office party goes wrong"
        ),
    ]
    # Users who like "a" also like "b"; users who like "c" also like "d".
    train = Interactions.from_pairs(
        ["u1", "u2", "u3", "u4"], [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)]
    )
    return Dataset(
        name="toy",
        catalog=Catalog(items, name="toy"),
        interactions=train,
        positives=train,
        splits={"train": train},
    )
