"""The catalog: items by id and index, a title index and the attribute vocabulary.

Items are stored as columns (ids, titles, years, popularity, and each item's attribute values as
ids into one sorted table of (type, value) pairs). A catalog of up to ``MATERIALISE_UP_TO`` items
also keeps its ``Item`` objects; a larger one builds an ``Item`` when it is asked for one: a
million pydantic items with 25 values each take 3-6 GB and half a minute to unpickle, the
columns a few hundred MB and a second.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from crsagent.data.item import Item
from crsagent.data.text import normalize_title
from crsagent.errors import CrsAgentError

# Catalogs up to this many items keep their Item objects (every dataset crsagent ships is far
# below); larger ones keep columns only and build an Item on access.
MATERIALISE_UP_TO = 200_000
NO_YEAR = np.iinfo(np.int32).min


class UnknownItemError(CrsAgentError, KeyError):
    """An item id that the catalog does not hold."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown item"


class ItemColumns:
    """The items of a catalog as columns; ``item(i)`` builds the ``Item`` at index ``i``.

    ``entries`` holds each item's attribute values in the item's own order (types as its dict
    has them, values as its lists have them): value ids into ``value_types`` / ``value_names``
    (sorted by type, then value), or ``-1 - type`` for a type whose list is empty.
    """

    def __init__(self, items: Iterable[Item]) -> None:
        ids: list[str] = []
        titles: list[str] = []
        texts: list[str] = []
        years: list[int] = []
        popularity: list[float] = []
        lengths: list[int] = []
        raw: list[int] = []  # provisional value ids, in first-seen order
        provisional: dict[tuple[str, str], int] = {}
        type_ids: dict[str, int] = {}
        for item in items:
            ids.append(item.id)
            titles.append(item.title)
            texts.append(item.text)
            years.append(NO_YEAR if item.year is None else item.year)
            popularity.append(item.popularity)
            start = len(raw)
            for attribute_type, values in item.attributes.items():
                type_id = type_ids.setdefault(attribute_type, len(type_ids))
                if not values:
                    raw.append(-1 - type_id)
                for value in values:
                    raw.append(provisional.setdefault((attribute_type, value), len(provisional)))
            lengths.append(len(raw) - start)
        self.ids = ids
        self.titles = titles
        self.texts = texts
        self.years: NDArray[np.int32] = np.asarray(years, dtype=np.int32)
        self.popularity: NDArray[np.float64] = np.asarray(popularity, dtype=np.float64)
        self.types: list[str] = list(type_ids)  # first-seen order
        pairs = sorted(provisional)
        self.value_types: list[str] = [t for t, _ in pairs]
        self.value_names: list[str] = [v for _, v in pairs]
        remap = np.empty(len(pairs), dtype=np.int32)
        remap[[provisional[p] for p in pairs]] = np.arange(len(pairs), dtype=np.int32)
        entries = np.asarray(raw, dtype=np.int32)
        valued = entries >= 0
        entries[valued] = remap[entries[valued]]
        self.entries: NDArray[np.int32] = entries
        self.starts: NDArray[np.int64] = np.r_[0, np.cumsum(lengths, dtype=np.int64)].astype(np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def item(self, index: int) -> Item:
        """The ``Item`` at ``index``, built from the columns (equal to the one stored)."""
        attributes: dict[str, list[str]] = {}
        value_types, value_names = self.value_types, self.value_names
        for entry in self.entries[self.starts[index] : self.starts[index + 1]].tolist():
            if entry < 0:
                attributes[self.types[-1 - entry]] = []
                continue
            found = attributes.get(value_types[entry])
            if found is None:
                attributes[value_types[entry]] = [value_names[entry]]
            else:
                found.append(value_names[entry])
        year = int(self.years[index])
        # Built from values an Item already validated: no second validation.
        return Item.model_construct(
            id=self.ids[index],
            title=self.titles[index],
            attributes=attributes,
            text=self.texts[index],
            year=None if year == NO_YEAR else year,
            popularity=float(self.popularity[index]),
        )

    def value_rows(self) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        """Each item's distinct value ids, ascending, as CSR (indptr, indices) over the value table."""
        found = self.__dict__.get("_value_rows")
        if found is None:
            found = self.__dict__["_value_rows"] = self._distinct_rows()
        return found

    def _distinct_rows(self) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        lengths = np.diff(self.starts)
        rows = np.repeat(np.arange(len(self.ids), dtype=np.int64), lengths)
        keep = self.entries >= 0
        rows, values = rows[keep], self.entries[keep].astype(np.int64)
        # Already strictly ascending within every item (the common case): no sort needed.
        same_row = rows[1:] == rows[:-1]
        if not bool((values[1:][same_row] > values[:-1][same_row]).all()):
            # Sort and drop repeats (np.unique's hash path is several times slower at 26M keys).
            keys = np.sort(rows * max(len(self.value_names), 1) + values)
            keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
            rows, values = keys // max(len(self.value_names), 1), keys % max(len(self.value_names), 1)
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(self.ids)))].astype(np.int64)
        return indptr, values.astype(np.int32)


class LazyItems(Sequence[Item]):
    """The items of a columnar catalog, each built on access (iterating builds them one by one)."""

    def __init__(self, columns: ItemColumns) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns)

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Item, ...]: ...
    def __getitem__(self, index: int | slice) -> Item | tuple[Item, ...]:
        if isinstance(index, slice):
            return tuple(self._columns.item(i) for i in range(*index.indices(len(self))))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(f"item index {index} out of range for {len(self)} items")
        return self._columns.item(position)

    def __iter__(self) -> Iterator[Item]:
        return (self._columns.item(i) for i in range(len(self)))


class Catalog:
    """An immutable, ordered collection of items.

    Position in the catalog (the *index*) is the internal id that numpy arrays and sparse matrices
    use; ``Item.id`` is the external id that users, files and the LLM see.
    """

    def __init__(
        self,
        items: Iterable[Item],
        *,
        name: str,
        is_demo: bool = False,
        materialise_up_to: int = MATERIALISE_UP_TO,
    ) -> None:
        if materialise_up_to < 0:
            raise ValueError(f"materialise_up_to must be >= 0, got {materialise_up_to}")
        self.name = name
        self.is_demo = is_demo
        self.columns = ItemColumns(items)
        if len(self.columns) > materialise_up_to:
            self.items: Sequence[Item] = LazyItems(self.columns)
        elif isinstance(items, tuple | list):
            self.items = tuple(items)
        else:  # a loader's stream went into the columns only (a million items are never all held)
            self.items = tuple(LazyItems(self.columns))
        self._index = self._build_index()

    def _build_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, item_id in enumerate(self.columns.ids):
            if item_id in index:
                raise CrsAgentError(f"catalog {self.name!r}: duplicate item id {item_id!r}")
            index[item_id] = position
        return index

    def __getstate__(self) -> dict[str, Any]:
        # A large catalog travels as columns, with its content hash (every cache key reads it,
        # and it is a pass over every item); a small one as before, with its items.
        state = {"name": self.name, "is_demo": self.is_demo}
        if isinstance(self.items, tuple):
            return state | {"items": tuple(self.items)}
        # So do the tables built from every item (seconds each at 1M items): the value rows the
        # graph is built from, travelling with the columns, and the title index.
        self.columns.value_rows()
        derived = {"content_hash": self.content_hash, "title_index": self.title_index}
        return state | derived | {"columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]
        self.is_demo = state["is_demo"]
        if "columns" in state:
            self.columns = state["columns"]
            self.items = LazyItems(self.columns)
            self.__dict__.update({key: state[key] for key in ("content_hash", "title_index") if key in state})
        else:  # a small catalog, or one pickled before catalogs had columns
            self.items = tuple(state["items"])
            self.columns = ItemColumns(self.items)
        self._index = self._build_index()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def __repr__(self) -> str:
        return f"Catalog({self.name!r}, {len(self)} items{', demo' if self.is_demo else ''})"

    @property
    def ids(self) -> list[str]:
        """External ids in catalog order."""
        return list(self.columns.ids)

    @property
    def titles(self) -> list[str]:
        """Titles in catalog order (no Item is built)."""
        return list(self.columns.titles)

    @property
    def years(self) -> NDArray[np.float64]:
        """Each item's year as a float, NaN where unknown (no Item is built)."""
        years = self.columns.years.astype(np.float64)
        years[self.columns.years == NO_YEAR] = np.nan
        return years

    @property
    def popularity(self) -> NDArray[np.float64]:
        """Each item's ``Item.popularity`` (no Item is built)."""
        return self.columns.popularity.copy()

    def index_of(self, item_id: str) -> int:
        """Internal index of an external id; raises ``UnknownItemError`` naming the id."""
        try:
            return self._index[item_id]
        except KeyError:
            raise UnknownItemError(f"item id {item_id!r} is not in catalog {self.name!r}") from None

    def get(self, item_id: str) -> Item:
        """The item with this external id."""
        return self.items[self.index_of(item_id)]

    def at(self, index: int) -> Item:
        """The item at an internal index."""
        return self.items[index]

    @cached_property
    def attribute_types(self) -> list[str]:
        """Attribute types present in the catalog, in first-seen order."""
        return list(self.columns.types)

    @cached_property
    def value_counts(self) -> dict[str, Counter[str]]:
        """Attribute type -> value -> number of items carrying it."""
        indptr, values = self.columns.value_rows()
        del indptr
        carried = np.bincount(values, minlength=len(self.columns.value_names)).tolist()
        # Every type, in first-seen order (one whose lists are all empty maps to no values).
        counts: dict[str, Counter[str]] = {t: Counter() for t in self.columns.types}
        for attribute_type, value, count in zip(
            self.columns.value_types, self.columns.value_names, carried, strict=True
        ):
            counts[attribute_type][value] = count
        return counts

    @cached_property
    def vocabulary(self) -> dict[str, list[str]]:
        """Attribute type -> its values, sorted."""
        return {t: sorted(counts) for t, counts in self.value_counts.items()}

    @cached_property
    def title_index(self) -> dict[str, list[str]]:
        """Normalised title (see ``normalize_title``) -> ids of the items with that title."""
        index: dict[str, list[str]] = defaultdict(list)
        for item_id, title in zip(self.columns.ids, self.columns.titles, strict=True):
            index[normalize_title(title)].append(item_id)
        return dict(index)

    def find_by_title(self, title: str) -> list[Item]:
        """Items whose normalised title equals that of ``title`` (exact lookup, no fuzziness)."""
        return [self.get(item_id) for item_id in self.title_index.get(normalize_title(title), [])]

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the catalog's content: caches built from it (SQLite, vectors) key on this."""
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(json.dumps(item.model_dump(), sort_keys=True, ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()
