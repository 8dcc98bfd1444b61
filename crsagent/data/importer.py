"""Bring your own catalog: a CSV, JSONL or Parquet items file (and interactions) as a named dataset.

``import_catalog`` checks every row, then stores a normalised copy under
``<cache dir>/imported/<name>/`` (``items.jsonl``, ``interactions.csv``, ``crsagent-import.json``);
``load_dataset(name)`` finds it there (or in the data dir), so the agent, the UI, the evaluations
and the index take it like a built-in dataset. Splits come from the interactions with the per-user
temporal leave-last-out of the MovieLens loader.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from crsagent.config import Settings
from crsagent.data.files import replace_folder
from crsagent.data.importer_read import FileFormat, detect_format, iter_rows, read_header
from crsagent.data.importer_rows import InteractionColumns, ItemColumns, Row
from crsagent.errors import CrsAgentError, DataFileError

MANIFEST = "crsagent-import.json"
ITEMS_FILE = "items.jsonl"
INTERACTIONS_FILE = "interactions.csv"
IMPORTED_FOLDER = "imported"
FORMAT_VERSION = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
RESERVED_NAMES = ("default", "demo", "ml-latest-small", "crs-lastfm", "redial")


class ImportLimits(BaseModel):
    """Bounds on what one import reads (a runaway file ends with a clear error, not a full disk)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: int = Field(default=5_000_000, ge=1, description="Rows of the items file.")
    max_interactions: int = Field(default=100_000_000, ge=1, description="Rows of the interactions file.")
    max_cell_chars: int = Field(
        default=100_000,
        ge=1,
        description="Characters of one cell (a long description is fine, a dump is not).",
    )
    max_values_per_attribute: int = Field(
        default=1_000, ge=1, description="Values of one attribute on one item."
    )


class ImportOptions(BaseModel):
    """How a user's files become a dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: ItemColumns = Field(default_factory=ItemColumns, description="Columns of the items file.")
    interactions: InteractionColumns = Field(
        default_factory=InteractionColumns, description="Columns of the interactions file."
    )
    items_format: FileFormat | None = Field(default=None, description="None: from the file's suffix.")
    interactions_format: FileFormat | None = Field(default=None, description="None: from the file's suffix.")
    positive_threshold: float | None = Field(
        default=None,
        description="With a rating column: a rating >= this is a positive (liked); None: every row is.",
    )
    min_split_positives: int = Field(
        default=3, ge=3, description="Users with fewer positives stay in train only (leave-last-out)."
    )
    description: str = Field(default="", description="Shown by `crsagent data info`.")
    limits: ImportLimits = Field(default_factory=ImportLimits, description="Bounds on the input.")


class ImportSummary(BaseModel):
    """What an import stored."""

    name: str
    folder: Path
    items: int
    attribute_types: list[str]
    interactions: int
    users: int


def imported_root(settings: Settings) -> Path:
    """Where ``crsagent data import`` stores datasets."""
    return settings.cache_dir / IMPORTED_FOLDER


def find_imported(name: str, settings: Settings) -> Path | None:
    """The folder of the imported dataset ``name`` (data dir first, then the cache), if there is one."""
    if not _NAME.match(name):
        return None
    roots = [settings.data_dir] if settings.data_dir is not None else []
    for root in [*roots, imported_root(settings)]:
        if (root / name / MANIFEST).is_file():
            return (root / name).resolve()
    return None


def list_imported(settings: Settings) -> list[Path]:
    """Folders of the datasets imported into the cache."""
    root = imported_root(settings)
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}")) if root.is_dir() else []


def import_catalog(
    items_path: Path,
    name: str,
    *,
    interactions_path: Path | None = None,
    options: ImportOptions | None = None,
    settings: Settings | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Check every row of the files and store the dataset under the cache dir (all or nothing)."""
    options = options or ImportOptions()
    settings = settings or Settings()
    if not _NAME.match(name):
        raise CrsAgentError(
            f"dataset name {name!r}: use 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise CrsAgentError(f"dataset name {name!r} is taken by a built-in dataset: choose another")
    target = imported_root(settings) / name
    if target.exists() and not replace:
        raise CrsAgentError(
            f"dataset {name!r} was imported before ({target}); pass --replace to import it again"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed at the end: a failed import leaves nothing behind.
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        item_ids, attribute_types = _write_items(items_path, staging / ITEMS_FILE, options)
        interactions = users = 0
        if interactions_path is not None:
            interactions, users = _write_interactions(
                interactions_path, staging / INTERACTIONS_FILE, set(item_ids), options
            )
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "description": options.description or f"imported from {items_path.name}",
            "items_source": str(items_path),
            "interactions_source": str(interactions_path) if interactions_path is not None else None,
            "positive_threshold": options.positive_threshold,
            "min_split_positives": options.min_split_positives,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        replace_folder(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return ImportSummary(
        name=name,
        folder=target,
        items=len(item_ids),
        attribute_types=attribute_types,
        interactions=interactions,
        users=users,
    )


def _write_items(source: Path, target: Path, options: ImportOptions) -> tuple[list[str], list[str]]:
    """Check every item row and write them normalised; returns the ids and the attribute types."""
    columns = options.items
    limits = options.limits
    file_format = detect_format(source, options.items_format)
    header = read_header(source, file_format)
    reserved = {columns.id, columns.title, columns.year, columns.text}
    if columns.attributes is not None:
        attribute_columns: list[str] | None = list(columns.attributes)
        if header is not None:
            missing = [c for c in attribute_columns if c not in header]
            if missing:
                raise DataFileError(
                    source, f"line 1: no attribute column(s) {', '.join(missing)} in the header"
                )
    else:
        attribute_columns = [c for c in header if c not in reserved] if header is not None else None
    unit = "row" if file_format == "parquet" else "line"
    ids: dict[str, int] = {}
    types: dict[str, None] = {}
    with target.open("w", encoding="utf-8") as out:
        for line, cells in iter_rows(source, file_format, (columns.id, columns.title)):
            row = Row(source, unit, line, cells, limits.max_cell_chars)
            if len(ids) >= limits.max_items:
                raise row.error(None, f"more than {limits.max_items} items (ImportLimits.max_items)")
            item_id = row.text(columns.id)
            if not item_id:
                raise row.error(columns.id, "empty item id")
            if item_id in ids:
                raise row.error(columns.id, f"duplicate item id {item_id!r} (first on line {ids[item_id]})")
            ids[item_id] = line
            title = row.text(columns.title)
            if not title:
                raise row.error(columns.title, f"empty title for item {item_id!r}")
            names = (
                attribute_columns
                if attribute_columns is not None
                else [k for k in cells if k not in reserved]
            )
            attributes: dict[str, list[str]] = {}
            for column in names:
                values = row.values(column, columns.separator)
                if len(values) > limits.max_values_per_attribute:
                    raise row.error(
                        column, f"{len(values)} values, more than {limits.max_values_per_attribute}"
                    )
                if values:
                    attributes[column] = values
                    types.setdefault(column, None)
            record = {
                "id": item_id,
                "title": title,
                "year": row.year(columns.year),
                "text": row.text(columns.text),
                "attributes": attributes,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    if not ids:
        raise DataFileError(source, "no items (the file has a header but no rows)")
    return list(ids), list(types)


def _write_interactions(
    source: Path, target: Path, item_ids: set[str], options: ImportOptions
) -> tuple[int, int]:
    """Check every interaction row and write them normalised; returns rows and distinct users."""
    columns = options.interactions
    limits = options.limits
    file_format = detect_format(source, options.interactions_format)
    header = read_header(source, file_format)
    has_time = header is not None and columns.timestamp in header
    has_rating = header is not None and columns.rating in header
    if options.positive_threshold is not None and header is not None and columns.rating not in header:
        raise DataFileError(
            source, f"line 1: a positive threshold needs a {columns.rating!r} column, which the header lacks"
        )
    unit = "row" if file_format == "parquet" else "line"
    users: set[str] = set()
    rows = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["user", "item", "timestamp", "rating"])
        for line, cells in iter_rows(source, file_format, (columns.user, columns.item)):
            row = Row(source, unit, line, cells, limits.max_cell_chars)
            if rows >= limits.max_interactions:
                raise row.error(
                    None, f"more than {limits.max_interactions} interactions (ImportLimits.max_interactions)"
                )
            if rows == 0 and header is None:  # JSONL: the first record says which keys the file has
                has_time, has_rating = columns.timestamp in cells, columns.rating in cells
            user, item = row.text(columns.user), row.text(columns.item)
            if not user:
                raise row.error(columns.user, "empty user id")
            if item not in item_ids:
                raise row.error(columns.item, f"item id {item!r} is not in the items file")
            if has_time and row.blank(columns.timestamp):
                raise row.error(columns.timestamp, "empty timestamp (other rows have one)")
            # Without timestamps the row order is the time order (README: Data).
            stamp = row.timestamp(columns.timestamp) if has_time else rows
            rated = has_rating and not row.blank(columns.rating)
            if options.positive_threshold is not None and not rated:
                raise row.error(columns.rating, "empty rating (a positive threshold was given)")
            writer.writerow([user, item, stamp, repr(row.number(columns.rating)) if rated else ""])
            users.add(user)
            rows += 1
    if rows == 0:
        raise DataFileError(source, "no interactions (the file has a header but no rows)")
    return rows, len(users)
