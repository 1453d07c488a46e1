"""SASRec-style sequential recommender: a causal transformer over each customer's purchases.

Design (Kang & McAuley 2018, trained with full softmax cross-entropy as in Klenitskiy & Vasilev
2023, which beats the original sampled BCE): item ids (0 = padding) get an embedding plus a
learned position embedding; a stack of pre-norm ``torch.nn.TransformerEncoderLayer`` with a
causal mask reads the sequence; the output at each position is scored against the (tied) item
embeddings to predict the next item. Left padding is attended like any token (its embedding is
zero), which keeps the causal rows free of all-masked NaNs.

Training data: each customer's item sequence (see ``interactions.build_interactions``), cut
from the end into windows of ``max_len + 1`` items (at most ``max_windows`` per customer), next
item as target.
Trained from scratch on the shop's own data, on the device chosen by ``forecast.device`` (bf16
autocast on CUDA). On CPU, float32 and a fixed seed give the same weights on every run: all
randomness (initialisation, dropout, shuffling) comes from ``seed`` inside ``torch.random.fork_rng``
so the global generators are left untouched. The epoch budget is a fixed number (not a clock) for
the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from invdash.runtime.device import autocast, torch_device
from invdash.schema import ConfigError, NotFittedError

__all__ = ["SASRec"]


def _windows(sequences: Sequence[np.ndarray], *, length: int, max_windows: int) -> np.ndarray:
    rows = []
    for seq in sequences:
        ids = np.asarray(seq, dtype=np.int64) + 1
        end = len(ids)
        for _ in range(max_windows):
            if end < 2:
                break
            piece = ids[max(0, end - length) : end]
            rows.append(np.pad(piece, (length - len(piece), 0)))
            end -= length - 1
    return np.stack(rows) if rows else np.zeros((0, length), dtype=np.int64)


def _build_net(  # noqa: PLR0913 - network shape
    n_items: int,
    *,
    max_len: int,
    dim: int,
    n_layers: int,
    n_heads: int,
    dropout: float,
):
    import torch
    from torch import nn

    class _Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)
            self.positions = nn.Embedding(max_len, dim)
            layer = nn.TransformerEncoderLayer(
                dim,
                n_heads,
                dim_feedforward=2 * dim,
                dropout=dropout,
                batch_first=True,
                norm_first=True,
                activation="gelu",
            )
            self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(dim)
            self.drop = nn.Dropout(dropout)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            steps = ids.shape[1]
            pos = torch.arange(steps, device=ids.device)
            hidden = self.drop(self.items(ids) * dim**0.5 + self.positions(pos)[None])
            mask = nn.Transformer.generate_square_subsequent_mask(steps, device=ids.device)
            hidden = self.encoder(hidden, mask=mask, is_causal=True)
            return self.norm(hidden) @ self.items.weight.T

    return _Net()


class SASRec:
    """Causal transformer next-item model (see the module docstring).

    Args:
        max_len: items of history the model reads.
        dim: embedding width.
        n_layers: transformer blocks.
        n_heads: attention heads (must divide ``dim``).
        dropout: dropout rate.
        epochs: passes over the training windows (a fixed budget, for determinism).
        batch_size: windows per optimiser step.
        lr: AdamW learning rate.
        max_windows: training windows per customer (long histories are cut into several).
        seed: seed of all randomness.
    """

    def __init__(  # noqa: PLR0913 - hyper-parameters
        self,
        max_len: int = 30,
        dim: int = 64,
        n_layers: int = 2,
        n_heads: int = 2,
        dropout: float = 0.2,
        epochs: int = 3,
        batch_size: int = 128,
        lr: float = 3e-3,
        max_windows: int = 1,
        seed: int = 0,
    ) -> None:
        self.max_len = max_len
        self.dim = dim
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.max_windows = max_windows
        self.seed = seed

    def fit(self, sequences: Sequence[np.ndarray], *, n_items: int) -> SASRec:
        """Train on item-index sequences (values in ``[0, n_items)``) from scratch."""
        import torch

        if self.dim % self.n_heads:
            raise ConfigError(f"dim ({self.dim}) must be a multiple of n_heads ({self.n_heads}).")
        windows = _windows(sequences, length=self.max_len + 1, max_windows=self.max_windows)
        device = torch_device()
        rng = np.random.default_rng(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = _build_net(
                n_items,
                max_len=self.max_len,
                dim=self.dim,
                n_layers=self.n_layers,
                n_heads=self.n_heads,
                dropout=self.dropout,
            ).to(device)
            optimiser = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=0.01)
            data = torch.as_tensor(windows, device=device)
            net.train()
            self.losses_ = [self._epoch(net, optimiser, data, rng) for _ in range(self.epochs)]
        net.eval()
        self.net_ = net
        self.n_items_ = n_items
        return self

    def _epoch(self, net, optimiser, data, rng: np.random.Generator) -> float:
        import torch

        total, batches = 0.0, 0
        order = torch.as_tensor(rng.permutation(len(data)), device=data.device)
        for start in range(0, len(data), self.batch_size):
            batch = data[order[start : start + self.batch_size]]
            with autocast():
                logits = net(batch[:, :-1])
            loss = torch.nn.functional.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]),
                batch[:, 1:].reshape(-1),
                ignore_index=0,
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, batches = total + float(loss.detach()), batches + 1
        return total / max(batches, 1)

    def score(self, sequences: Sequence[np.ndarray], *, batch_size: int = 512) -> np.ndarray:
        """Next-item probabilities for each sequence, shape (len(sequences), n_items)."""
        import torch

        if not hasattr(self, "net_"):
            raise NotFittedError(
                "SASRec is not fitted yet; call fit(sequences, n_items=...) first."
            )
        ids = np.zeros((len(sequences), self.max_len), dtype=np.int64)
        for row, seq in enumerate(sequences):
            tail = np.asarray(seq, dtype=np.int64)[-self.max_len :] + 1
            if len(tail):
                ids[row, -len(tail) :] = tail
        device = next(self.net_.parameters()).device
        out = np.zeros((len(sequences), self.n_items_), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(ids), batch_size):
                batch = torch.as_tensor(ids[start : start + batch_size], device=device)
                with autocast():
                    logits = self.net_(batch)[:, -1, 1:]
                out[start : start + batch_size] = torch.softmax(logits.float(), -1).cpu().numpy()
        return out
