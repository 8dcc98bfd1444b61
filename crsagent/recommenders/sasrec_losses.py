"""SASRec's training losses: full softmax, sampled softmax with a logQ correction, and BCE."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional

from crsagent.recommenders.sasrec_network import SASRecNetwork

# Share of the sampled-softmax proposal that is uniform over the catalog; the rest follows train
# popularity. Popular negatives are the informative ones; the uniform part still reaches every
# item (items never seen in train are pushed down instead of keeping random scores).
UNIFORM_SHARE = 0.5


class NegativeSampler:
    """Draws item indices + 1 from a uniform / popularity mixture and knows log q of every item."""

    def __init__(self, train_counts: NDArray[np.float32], device: torch.device) -> None:
        counts = train_counts.astype(np.float64)
        n_items = len(counts)
        popularity = counts / counts.sum() if counts.sum() > 0 else np.full(n_items, 1.0 / n_items)
        mixture = UNIFORM_SHARE / n_items + (1.0 - UNIFORM_SHARE) * popularity
        self.probabilities = torch.as_tensor(mixture, dtype=torch.float32, device=device)
        # Index 0 is padding, never drawn: log q is stored shifted like the item indices.
        self.log_q = torch.cat([torch.zeros(1, device=device), self.probabilities.log()])

    def draw(self, count: int) -> torch.Tensor:
        return torch.multinomial(self.probabilities, count, replacement=True) + 1


def full_softmax_loss(network: SASRecNetwork, states: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the next item against every catalog item."""
    return functional.cross_entropy(network.item_logits(states), positives - 1)


def sampled_softmax_loss(
    network: SASRecNetwork,
    states: torch.Tensor,
    positives: torch.Tensor,
    sampler: NegativeSampler,
    count: int,
) -> torch.Tensor:
    """Softmax over the next item and ``count`` negatives shared by the batch.

    Every logit is corrected by -log q (Bengio & Senecal 2008; Yi et al. 2019), so sampling popular
    items more often does not teach the model to under-rate them.
    """
    embeddings = network.item_embedding
    shared = sampler.draw(count)
    positive_logits = (states * embeddings(positives)).sum(-1, keepdim=True) - sampler.log_q[
        positives
    ].unsqueeze(1)
    negative_logits = states @ embeddings(shared).T - sampler.log_q[shared].unsqueeze(0)
    # A drawn "negative" that is the position's own next item is not a negative.
    negative_logits = negative_logits.masked_fill(
        shared.unsqueeze(0) == positives.unsqueeze(1), float("-inf")
    )
    logits = torch.cat([positive_logits, negative_logits], dim=1)
    return functional.cross_entropy(logits, torch.zeros_like(positives))


def bce_loss(
    network: SASRecNetwork, states: torch.Tensor, positives: torch.Tensor, n_items: int, count: int
) -> torch.Tensor:
    """The original SASRec loss: the next item against ``count`` uniform negatives per position."""
    embeddings = network.item_embedding
    negatives = torch.randint(1, n_items + 1, (len(positives), count), device=positives.device)
    positive_logits = (states * embeddings(positives)).sum(-1)
    negative_logits = (states.unsqueeze(1) * embeddings(negatives)).sum(-1)
    return functional.binary_cross_entropy_with_logits(
        positive_logits, torch.ones_like(positive_logits)
    ) + functional.binary_cross_entropy_with_logits(negative_logits, torch.zeros_like(negative_logits))
