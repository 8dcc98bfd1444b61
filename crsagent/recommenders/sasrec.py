"""SASRec as a recommender: training with early stopping on valid NDCG@10, scoring, save / load."""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np
import torch
from numpy.typing import NDArray
from pydantic import Field, model_validator

from crsagent.data.interactions import Interactions
from crsagent.recommenders.base import RecommenderConfig
from crsagent.recommenders.base_model import BaseRecommender, SavedModelError
from crsagent.recommenders.metrics import evaluate_scores
from crsagent.recommenders.sasrec_data import pad_left, training_windows
from crsagent.recommenders.sasrec_losses import (
    NegativeSampler,
    bce_loss,
    full_softmax_loss,
    sampled_softmax_loss,
)
from crsagent.recommenders.sasrec_network import SASRecNetwork
from crsagent.recommenders.sequences import targets_by_user, user_sequences

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.pt"
# Users scored per forward pass (memory: this many x n_items floats).
_SCORING_BATCH = 256


class SASRecConfig(RecommenderConfig):
    """Architecture, training and device of SASRec."""

    max_len: int = Field(default=50, ge=2, le=1024, description="Most recent history items the model reads.")
    hidden_size: int = Field(default=64, ge=4, description="Embedding and state width.")
    n_layers: int = Field(default=2, ge=1, description="Self-attention blocks.")
    n_heads: int = Field(default=1, ge=1, description="Attention heads; must divide hidden_size.")
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0, description="Dropout on embeddings and blocks.")
    loss: Literal["ce", "sampled_ce", "bce"] = Field(
        default="sampled_ce",
        description=(
            "'ce': softmax cross-entropy over all items (costs n_items per position); 'sampled_ce': "
            "softmax over the next item and n_negatives items shared by the batch, drawn half "
            "uniformly and half by train popularity, logQ-corrected (a fraction of the cost on a "
            "CPU); 'bce': binary cross-entropy against n_negatives uniform items per position (the "
            "original SASRec)."
        ),
    )
    n_negatives: int = Field(
        default=512,
        ge=1,
        description="Sampled negatives: per batch for 'sampled_ce', per position for 'bce'.",
    )
    learning_rate: float = Field(
        default=5e-3, gt=0, description="Adam learning rate (5e-3 converged fastest on ml-latest-small)."
    )
    weight_decay: float = Field(default=0.0, ge=0, description="Adam L2 weight decay.")
    batch_size: int = Field(default=128, ge=1, description="Training windows per step.")
    max_epochs: int = Field(
        default=100, ge=1, description="Upper bound on epochs (the only bound without valid)."
    )
    patience: int = Field(
        default=10, ge=1, description="With valid data: stop after this many epochs without a better NDCG@10."
    )
    seed: int = Field(default=0, description="Seeds initialisation, shuffling, dropout and negatives.")
    fit_threads: int | None = Field(
        default=None,
        ge=1,
        description=(
            "torch CPU threads while fitting (restored afterwards); None keeps torch's setting. 1 can be "
            "much faster when other processes compete for the cores."
        ),
    )
    device: str = Field(
        default="cpu",
        pattern=r"^(cpu|auto|cuda(:\d+)?)$",
        description="'cpu', 'cuda', 'cuda:N', or 'auto' (CUDA when available, else CPU).",
    )

    @model_validator(mode="after")
    def _heads_divide_width(self) -> Self:
        if self.hidden_size % self.n_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must divide hidden_size ({self.hidden_size})")
        return self


@dataclass(frozen=True)
class EpochRecord:
    """One training epoch: mean loss, valid NDCG@10 (None without valid data) and duration."""

    epoch: int
    loss: float
    valid_ndcg_at_10: float | None
    seconds: float


def resolve_device(requested: str) -> torch.device:
    """The torch device for a config value; CUDA asked for but absent is a clear error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device {requested!r} requested but CUDA is not available here; use 'cpu' or 'auto'"
        )
    return torch.device(requested)


class SASRec(BaseRecommender[SASRecConfig]):
    """Next-item prediction from the last ``max_len`` history items (oldest first).

    Trained on the train split's per-user sequences (timestamp order where the data has
    timestamps, else file order), every position predicting the next item. With ``valid`` given
    to ``fit``, training stops when valid NDCG@10 (full ranking, train items excluded) has not
    improved for ``patience`` epochs, and the best epoch's weights are kept.

    File order is not always time: crs-lastfm lists each user's train artists by increasing HetRec
    artist id, and every valid / test artist has a higher id than all of the user's train artists,
    so an order-aware model fitted on that order learns the split (docs/results/recommenders.md).
    Shuffle each user's rows there, or use an order-free model.
    """

    name: ClassVar[str] = "sasrec"
    config_class = SASRecConfig

    def __init__(self, config: SASRecConfig | None = None) -> None:
        super().__init__(config)
        self._network: SASRecNetwork | None = None
        self._sampler: NegativeSampler | None = None
        self._device = torch.device("cpu")
        self.epochs: list[EpochRecord] = []
        self.best_epoch: int | None = None

    @property
    def device(self) -> torch.device:
        """Where the network lives and scores."""
        return self._device

    def _new_network(self, n_items: int) -> SASRecNetwork:
        c = self.config
        return SASRecNetwork(n_items, c.max_len, c.hidden_size, c.n_layers, c.n_heads, c.dropout)

    def _fit(self, train: Interactions, n_items: int, valid: Interactions | None) -> None:
        self._device = resolve_device(self.config.device)
        sequences = user_sequences(train)
        inputs, targets = training_windows(list(sequences.values()), self.config.max_len)
        validation = _validation_set(sequences, valid)
        devices = [self._device.index or 0] if self._device.type == "cuda" else []
        # A private random stream: fitting twice with one seed gives the same model, and the
        # caller's torch random state is left as it was.
        threads = torch.get_num_threads()
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.config.seed)
            if self.config.fit_threads is not None:
                torch.set_num_threads(self.config.fit_threads)
            try:
                self._network = self._new_network(n_items).to(self._device)
                self._sampler = NegativeSampler(self._popularity, self._device)
                self._train(inputs, targets, n_items, validation)
            finally:
                torch.set_num_threads(threads)
                self._sampler = None

    def _train(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        n_items: int,
        validation: tuple[list[NDArray[np.int64]], list[NDArray[np.int64]]] | None,
    ) -> None:
        assert self._network is not None
        c = self.config
        optimizer = torch.optim.Adam(
            self._network.parameters(), lr=c.learning_rate, betas=(0.9, 0.98), weight_decay=c.weight_decay
        )
        self.epochs, self.best_epoch = [], None
        best_ndcg, best_state, stale = -1.0, None, 0
        for epoch in range(1, c.max_epochs + 1):
            started = time.perf_counter()
            self._network.train()
            losses = []
            for batch in torch.randperm(len(inputs)).split(c.batch_size):
                loss = self._loss(inputs[batch].to(self._device), targets[batch].to(self._device), n_items)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
            ndcg = None
            if validation is not None:
                histories, valid_targets = validation
                scores = self._scores_for(histories, n_items)
                ndcg = float(
                    evaluate_scores(scores, valid_targets, histories, cutoffs=(10,))["ndcg@10"].mean()
                )
            record = EpochRecord(epoch, float(np.mean(losses)), ndcg, time.perf_counter() - started)
            self.epochs.append(record)
            logger.debug("SASRec %s", record)
            if ndcg is None:
                continue
            if ndcg > best_ndcg:
                best_ndcg, stale, self.best_epoch = ndcg, 0, epoch
                best_state = copy.deepcopy(self._network.state_dict())
            else:
                stale += 1
                if stale >= c.patience:
                    break
        if best_state is not None:
            self._network.load_state_dict(best_state)
        self._network.eval()

    def _loss(self, inputs: torch.Tensor, targets: torch.Tensor, n_items: int) -> torch.Tensor:
        assert self._network is not None and self._sampler is not None
        states = self._network(inputs)
        real = targets > 0
        # Only positions with a next item are scored: padding never costs an n_items-wide row.
        states, positives = states[real], targets[real]
        if self.config.loss == "ce":
            return full_softmax_loss(self._network, states, positives)
        if self.config.loss == "sampled_ce":
            return sampled_softmax_loss(
                self._network, states, positives, self._sampler, self.config.n_negatives
            )
        return bce_loss(self._network, states, positives, n_items, self.config.n_negatives)

    @torch.no_grad()
    def _scores_for(self, histories: list[NDArray[np.int64]], n_items: int) -> NDArray[np.float32]:
        assert self._network is not None
        was_training = self._network.training
        self._network.eval()
        scores = np.empty((len(histories), n_items), dtype=np.float32)
        for start in range(0, len(histories), _SCORING_BATCH):
            chunk = histories[start : start + _SCORING_BATCH]
            sequences = pad_left(chunk, self.config.max_len).to(self._device)
            last_states = self._network(sequences)[:, -1, :]
            scores[start : start + len(chunk)] = self._network.item_logits(last_states).float().cpu().numpy()
        self._network.train(was_training)
        return scores

    def _score_history(self, history: NDArray[np.int64]) -> NDArray[np.float32]:
        return self._scores_for([history], self._n_items)[0]

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        return self._scores_for(histories, self._n_items)

    def _arrays(self) -> dict[str, NDArray[Any]]:
        return {}

    def _save_extra(self, folder: Path) -> None:
        assert self._network is not None
        state = {name: tensor.detach().cpu() for name, tensor in self._network.state_dict().items()}
        torch.save(state, folder / WEIGHTS_FILE)

    def _restore(self, n_items: int, arrays: dict[str, NDArray[Any]], folder: Path) -> None:
        del arrays
        path = folder / WEIGHTS_FILE
        if not path.is_file():
            raise SavedModelError(f"{folder}: SASRec weights {WEIGHTS_FILE} are missing")
        network = self._new_network(n_items)
        try:
            network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except RuntimeError as error:  # shape or key mismatch between the weights and the config
            raise SavedModelError(f"{path}: weights do not fit the saved config: {error}") from error
        try:
            self._device = resolve_device(self.config.device)
        except ValueError:
            # Weights are device-agnostic: a model trained on a GPU still serves where there is none.
            logger.warning(
                "SASRec saved for device %r; CUDA is absent, so it runs on the CPU", self.config.device
            )
        self._network = network.to(self._device).eval()


def _validation_set(
    sequences: dict[int, NDArray[np.int64]], valid: Interactions | None
) -> tuple[list[NDArray[np.int64]], list[NDArray[np.int64]]] | None:
    """(train history, valid targets) of every valid user who has a train history."""
    if valid is None or len(valid) == 0:
        return None
    targets = targets_by_user(valid)
    users = [user for user in targets if user in sequences]
    if not users:
        return None
    # A valid item the user also has in train cannot be a held-out target: drop it.
    pairs = [(sequences[u], np.setdiff1d(targets[u], sequences[u])) for u in users]
    pairs = [(history, target) for history, target in pairs if target.size]
    return [h for h, _ in pairs], [t for _, t in pairs]
