"""The catalog: items by id and index, a title index and the attribute vocabulary."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from functools import cached_property

from crsagent.data.item import Item
from crsagent.data.text import normalize_title
from crsagent.errors import CrsAgentError


class UnknownItemError(CrsAgentError, KeyError):
    """An item id that the catalog does not hold."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown item"


class Catalog:
    """An immutable, ordered collection of items.

    Position in the catalog (the *index*) is the internal id that numpy arrays and sparse matrices
    use; ``Item.id`` is the external id that users, files and the LLM see.
    """

    def __init__(self, items: Sequence[Item], *, name: str, is_demo: bool = False) -> None:
        self.name = name
        self.is_demo = is_demo
        self.items: tuple[Item, ...] = tuple(items)
        self._index: dict[str, int] = {}
        for position, item in enumerate(self.items):
            if item.id in self._index:
                raise CrsAgentError(f"catalog {name!r}: duplicate item id {item.id!r}")
            self._index[item.id] = position

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
        return [item.id for item in self.items]

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
        seen: dict[str, None] = {}
        for item in self.items:
            for attribute_type in item.attributes:
                seen.setdefault(attribute_type, None)
        return list(seen)

    @cached_property
    def value_counts(self) -> dict[str, Counter[str]]:
        """Attribute type -> value -> number of items carrying it."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for item in self.items:
            for attribute_type, values in item.attributes.items():
                counts[attribute_type].update(set(values))
        return dict(counts)

    @cached_property
    def vocabulary(self) -> dict[str, list[str]]:
        """Attribute type -> its values, sorted."""
        return {t: sorted(counts) for t, counts in self.value_counts.items()}

    @cached_property
    def title_index(self) -> dict[str, list[str]]:
        """Normalised title (see ``normalize_title``) -> ids of the items with that title."""
        index: dict[str, list[str]] = defaultdict(list)
        for item in self.items:
            index[normalize_title(item.title)].append(item.id)
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
