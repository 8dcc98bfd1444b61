"""A tiny catalog whose titles and attribute values carry HTML and script, built in code.

Every title would run ``window.__xss = ...`` if a page rendered it as HTML; the browser tests check
that it shows as text instead. Genres are ordinary words, so the agent can be steered to the items.
"""

from __future__ import annotations

from crsagent.data.catalog import Catalog
from crsagent.data.dataset import SPLIT_NAMES, Dataset
from crsagent.data.interactions import Interactions
from crsagent.data.item import Item

HOSTILE_NAME = "hostile"
IMG_PAYLOAD = "<img src=x onerror=\"window.__xss='title'\">"
SCRIPT_PAYLOAD = "<script>window.__xss='director'</script>"
GENRES = ("Comedy", "Drama", "Horror", "Western")


def hostile_items(n_items: int = 24) -> list[Item]:
    """Items whose titles carry an ``<img onerror>`` and whose directors carry a ``<script>``."""
    items = []
    for i in range(n_items):
        genres = sorted({GENRES[i % 4], GENRES[(i // 4) % 4]})
        items.append(
            Item(
                id=f"h{i}",
                title=f"{IMG_PAYLOAD} Film {i} <b>bold</b>",
                year=1950 + 3 * i,
                attributes={"genre": genres, "director": [f"{SCRIPT_PAYLOAD} Director {i % 5}"]},
                popularity=float(n_items - i),
            )
        )
    return items


def hostile_dataset() -> Dataset:
    """The hostile catalog as a dataset with no interactions (the agent uses the catalog prior)."""
    empty = Interactions.from_pairs([], [])
    return Dataset(
        name=HOSTILE_NAME,
        catalog=Catalog(hostile_items(), name=HOSTILE_NAME),
        interactions=empty,
        positives=empty,
        splits={name: empty for name in SPLIT_NAMES},
    )
