"""The episodes of an evaluation: which target each one is about, keyed by a stable index.

An episode's index is its target's position in the full, deterministic target list (a split's pair
order, the catalog order, ReDial's file order), not its position in the subset: the same index is
the same target whatever the subset size, so a run can resume, or grow from 100 to 1,000 episodes,
and ``--limit`` subsets of ``crsagent eval cpr`` pick exactly the same pairs with the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crsagent.config import Settings
from crsagent.data.dataset import Dataset
from crsagent.errors import CrsAgentError
from crsagent.evals.spec import CatalogTargets, EvalSpec, RedialTargets, SplitTargets
from crsagent.simulators.base import Target


@dataclass(frozen=True)
class EpisodeTarget:
    """One episode to play: its resume key and what the simulated user wants."""

    index: int
    target: Target


def seeded_subset(total: int, limit: int | None, seed: int) -> list[int]:
    """Positions of a seeded random subset of ``limit`` out of ``total`` (all when unset), in order.

    One permutation, its first ``limit``: a larger limit keeps every position a smaller one chose
    (``eval cpr --limit`` and a spec's ``episodes`` draw the same way).
    """
    if limit is None or limit >= total:
        return list(range(total))
    if limit < 1:
        raise CrsAgentError(f"--limit must be at least 1, got {limit}")
    return np.sort(np.random.default_rng(seed).permutation(total)[:limit]).tolist()


def split_targets(dataset: Dataset, split: str) -> list[Target]:
    """Every (user, item) pair of the split, in split order (the user is the dataset's user index)."""
    try:
        pairs = dataset.split(split).pairs()
    except KeyError as error:
        raise CrsAgentError(f"targets.split: {error.args[0]}") from None
    return [Target(item_id=dataset.catalog.at(item).id, user=user) for user, item in pairs]


def episode_targets(
    spec: EvalSpec, dataset: Dataset, settings: Settings | None = None
) -> list[EpisodeTarget]:
    """The spec's episodes: a seeded subset of ``spec.episodes`` of the targets its ``[targets]`` table
    describes (all when unset)."""
    source = spec.targets
    if isinstance(source, SplitTargets):
        targets = split_targets(dataset, source.split)
    elif isinstance(source, CatalogTargets):  # every item, in catalog order, without a user
        targets = [Target(item_id=item.id) for item in dataset.catalog]
    else:
        from crsagent.evals.redial_targets import redial_targets

        assert isinstance(source, RedialTargets)
        targets = redial_targets(dataset, source, settings)
    if not targets:
        raise CrsAgentError(f"targets: {source.source!r} gives no targets on dataset {dataset.name!r}")
    return episode_jobs(targets, spec.episodes, spec.seed)


def episode_jobs(targets: list[Target], limit: int | None, seed: int) -> list[EpisodeTarget]:
    """A seeded subset of ``limit`` of ``targets`` (all when unset), each keyed by its position."""
    return [EpisodeTarget(index, targets[index]) for index in seeded_subset(len(targets), limit, seed)]
