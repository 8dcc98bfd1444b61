"""The SASRec network (Kang & McAuley 2018): causal self-attention over a user's item sequence."""

from __future__ import annotations

import math

import torch
from torch import nn


class _Block(nn.Module):
    """Pre-norm transformer block: masked self-attention, then a position-wise feed-forward layer."""

    def __init__(self, hidden_size: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(hidden_size)
        self.attention = nn.MultiheadAttention(hidden_size, n_heads, dropout=dropout, batch_first=True)
        self.feed_forward_norm = nn.LayerNorm(hidden_size)
        self.feed_forward = nn.Sequential(
            nn.Linear(hidden_size, hidden_size),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, hidden_size),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, states: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        normed = self.attention_norm(states)
        attended, _ = self.attention(normed, normed, normed, attn_mask=blocked, need_weights=False)
        states = states + self.dropout(attended)
        return states + self.dropout(self.feed_forward(self.feed_forward_norm(states)))


class SASRecNetwork(nn.Module):
    """Item sequences (B, L) of item index + 1, left-padded with 0 -> one state per position (B, L, d).

    The state at position t summarises items 0..t and is scored against every item embedding to
    predict item t + 1 (input and output embeddings are shared, as in SASRec).
    """

    def __init__(
        self, n_items: int, max_len: int, hidden_size: int, n_layers: int, n_heads: int, dropout: float
    ):
        super().__init__()
        self.n_heads = n_heads
        self.item_embedding = nn.Embedding(n_items + 1, hidden_size, padding_idx=0)
        self.position_embedding = nn.Embedding(max_len, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(_Block(hidden_size, n_heads, dropout) for _ in range(n_layers))
        self.final_norm = nn.LayerNorm(hidden_size)
        self.scale = math.sqrt(hidden_size)
        nn.init.normal_(self.item_embedding.weight, std=hidden_size**-0.5)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def _blocked_pairs(self, padding: torch.Tensor) -> torch.Tensor:
        """(B * heads, L, L) True where query i may not attend to key j: the future and padding.

        Every position may attend to itself, so a padding query (whose state is never used) never
        has all keys blocked, which would give NaN.
        """
        length = padding.shape[1]
        future = torch.triu(torch.ones(length, length, dtype=torch.bool, device=padding.device), diagonal=1)
        itself = torch.eye(length, dtype=torch.bool, device=padding.device)
        blocked = future.unsqueeze(0) | (padding.unsqueeze(1) & ~itself.unsqueeze(0))
        return blocked.repeat_interleave(self.n_heads, dim=0)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        padding = sequences == 0
        keep = (~padding).unsqueeze(-1).to(self.item_embedding.weight.dtype)
        positions = torch.arange(sequences.shape[1], device=sequences.device)
        states = self.item_embedding(sequences) * self.scale + self.position_embedding(positions)
        states = self.dropout(states) * keep
        blocked = self._blocked_pairs(padding)
        for block in self.blocks:
            states = block(states, blocked) * keep
        return self.final_norm(states)

    def item_logits(self, states: torch.Tensor) -> torch.Tensor:
        """(N, d) states -> (N, n_items) scores of every catalog item (padding excluded)."""
        return states @ self.item_embedding.weight[1:].T
