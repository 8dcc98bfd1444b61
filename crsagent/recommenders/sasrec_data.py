"""Item sequences -> the padded tensors SASRec trains and scores on."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray


def pad_left(histories: list[NDArray[np.int64]], max_len: int) -> torch.Tensor:
    """(users, max_len) of item index + 1: each history's last ``max_len`` items, left-padded with 0."""
    padded = np.zeros((len(histories), max_len), dtype=np.int64)
    for row, history in enumerate(histories):
        recent = history[-max_len:]
        if len(recent):
            padded[row, -len(recent) :] = recent + 1
    return torch.from_numpy(padded)


def training_windows(sequences: list[NDArray[np.int64]], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-item targets (item index + 1, 0 = padding), each (windows, max_len).

    A sequence longer than ``max_len`` + 1 is cut from its end into windows that overlap by one item,
    so every transition of the train split is a target exactly once, and no window is longer than
    the context the model reads when scoring.
    """
    inputs: list[NDArray[np.int64]] = []
    targets: list[NDArray[np.int64]] = []
    for sequence in sequences:
        for end in range(len(sequence), 1, -max_len):
            window = sequence[max(0, end - max_len - 1) : end]
            inputs.append(window[:-1])
            targets.append(window[1:])
    if not inputs:
        raise ValueError("SASRec needs at least one user with two or more train interactions")
    return pad_left(inputs, max_len), pad_left(targets, max_len)
