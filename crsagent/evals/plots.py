"""The run folder's PNG plots: cumulative success by turn, and how long dialogues lasted.

Files only (matplotlib's Agg backend): evaluations run on headless machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def _use_agg() -> None:
    """Select the file-only backend before pyplot is imported (late: a run needs no plotting)."""
    import matplotlib

    matplotlib.use("Agg")  # never open a window


def plot_sr_by_turn(curve: Sequence[float], title: str, path: Path) -> None:
    """Cumulative success rate against the turn of success (``curve[k-1]`` = SR within k turns)."""
    _use_agg()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(range(1, len(curve) + 1), list(curve), marker="o")
    axes.set_xlabel("turn of success")
    axes.set_ylabel("success rate")
    axes.set_ylim(0.0, 1.0)
    axes.grid(alpha=0.3)
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_turns_histogram(successes: Sequence[int], failures: Sequence[int], title: str, path: Path) -> None:
    """Episodes by length in agent replies (a hit's turn, or replies before the end), stacked."""
    _use_agg()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    turns = list(range(1, len(successes) + 1))
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.bar(turns, list(successes), label="success (turn of the hit)", color="tab:green")
    axes.bar(turns, list(failures), bottom=list(successes), label="failure (agent replies)", color="tab:red")
    axes.set_xlabel("agent replies")
    axes.set_ylabel("episodes")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
