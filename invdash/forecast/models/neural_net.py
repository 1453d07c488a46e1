"""The torch network, loss and schedule behind ``GlobalNeuralForecaster`` (see ``neural.py``).

``DemandNet``: the context window is cut into weekly patches; each patch (7 days x [scaled qty,
observed, promo, log relative price, day-of-week sin/cos, day-of-year sin/cos]) is one token. A
stack of ``transformers`` ``PatchTSTEncoderLayer`` blocks (PatchTST's encoder layer, fed our own
covariate-rich patches as a single channel) encodes the tokens. A decoder MLP, shared across the
horizon, then reads for every future day: the encoder summary (last token and mean), static
features (log level, recent 7/28-day means, share of zero days, category embedding, optional title
embedding), the known future covariates (promo, price, calendar), the same-weekday mean of the
context and a horizon-step embedding. It outputs the mean (softplus) and the quantiles
``schema.QUANTILES`` as a base plus cumulative softplus steps, so quantiles never cross.

Everything is in units of the window's scale ``1 + mean observed context demand``; the caller
multiplies back. This module imports torch and transformers at import time; ``neural.py`` imports
it only inside ``fit`` so that importing the forecaster stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from transformers import PatchTSTConfig
from transformers.models.patchtst.modeling_patchtst import PatchTSTEncoderLayer

from invdash.forecast.models.neural_data import DAY_CHANNELS, N_CALENDAR_FEATURES
from invdash.schema import QUANTILES

__all__ = ["DemandNet", "quantile_loss", "warmup_cosine", "TEXT_DIM"]

TEXT_DIM = 384
_INPUT_CLIP = 20.0
_TARGET_CLIP = 50.0
_MEAN_WEIGHT = 0.25
Batch = dict[str, torch.Tensor]


class DemandNet(nn.Module):
    """PatchTST encoder layers over weekly covariate patches + a per-day quantile decoder.

    Args:
        context_days: days of history per window (a multiple of 7).
        horizon_days: days forecast directly.
        d_model: encoder width.
        n_layers: encoder layers.
        n_heads: attention heads.
        n_categories: size of the category vocabulary (index 0 = unknown).
        use_text: whether batches carry a ``text`` title embedding.
    """

    def __init__(  # noqa: PLR0913 - the sizes of one network, all keyword-only
        self, *, context_days: int, horizon_days: int, d_model: int, n_layers: int,
        n_heads: int, n_categories: int, use_text: bool,
    ) -> None:
        super().__init__()
        self.n_patches = context_days // 7
        day_width = len(DAY_CHANNELS) + N_CALENDAR_FEATURES
        config = PatchTSTConfig(
            d_model=d_model, num_attention_heads=n_heads, ffn_dim=2 * d_model,
            num_hidden_layers=n_layers, norm_type="layernorm", pre_norm=True, dropout=0.0,
            attention_dropout=0.0, ff_dropout=0.0, path_dropout=0.0, channel_attention=False,
            attn_implementation="sdpa",
        )
        self.embed = nn.Linear(7 * day_width, d_model)
        self.position = nn.Parameter(0.02 * torch.randn(self.n_patches, d_model))
        self.layers = nn.ModuleList(PatchTSTEncoderLayer(config) for _ in range(n_layers))
        self.category = nn.Embedding(n_categories, 8)
        self.text = nn.Linear(TEXT_DIM, 16) if use_text else None
        self.horizon = nn.Embedding(horizon_days, 8)
        static_width = 4 + 8 + (16 if use_text else 0)
        step_width = 2 + N_CALENDAR_FEATURES + 1 + 8
        hidden = 2 * d_model
        self.decoder = nn.Sequential(
            nn.Linear(2 * d_model + static_width + step_width, hidden), nn.GELU(),
            nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1 + len(QUANTILES)),
        )

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(outputs, scale)``: outputs ``(B, H, 1 + Q)`` (mean, quantiles) in units of
        ``scale`` ``(B,)``.

        ``batch`` holds ``context (B, C, 4)``, ``context_calendar (B, C, 4)``,
        ``future (B, H, 2)``, ``future_calendar (B, H, 4)``, ``category (B,)`` and, with
        ``use_text``, ``text (B, 384)``.
        """
        context = batch["context"]
        qty, observed = context[..., 0], context[..., 1]
        n_observed = observed.sum(1).clamp(min=1.0)
        level = (qty * observed).sum(1) / n_observed
        scale = level + 1.0
        scaled = (qty / scale[:, None]).clamp(max=_INPUT_CLIP) * observed
        days = torch.cat([scaled[..., None], context[..., 1:], batch["context_calendar"]], -1)
        tokens = self.embed(days.reshape(days.shape[0], self.n_patches, -1)) + self.position
        hidden = tokens[:, None]
        for layer in self.layers:
            hidden = layer(hidden)[0]
        summary = torch.cat([hidden[:, 0, -1], hidden[:, 0].mean(1)], -1)
        static = self._static(batch, scaled, observed, level, n_observed)
        steps = self._steps(batch, scaled, observed)
        horizon = steps.shape[1]
        features = torch.cat(
            [summary[:, None].expand(-1, horizon, -1), static[:, None].expand(-1, horizon, -1),
             steps], -1,
        )
        return _heads(self.decoder(features)), scale

    def _static(self, batch: Batch, scaled: torch.Tensor, observed: torch.Tensor,
                level: torch.Tensor, n_observed: torch.Tensor) -> torch.Tensor:
        recent7 = scaled[:, -7:].sum(1) / observed[:, -7:].sum(1).clamp(min=1.0)
        recent28 = scaled[:, -28:].sum(1) / observed[:, -28:].sum(1).clamp(min=1.0)
        zeros = ((scaled == 0) & (observed > 0)).sum(1) / n_observed
        parts = [torch.stack([torch.log1p(level), recent7, recent28, zeros], -1),
                 self.category(batch["category"])]
        if self.text is not None:
            parts.append(self.text(batch["text"]))
        return torch.cat(parts, -1)

    def _steps(self, batch: Batch, scaled: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
        future = batch["future"]
        size, horizon = future.shape[:2]
        # context_days is a multiple of 7, so context day c and horizon day j share a weekday
        # exactly when c % 7 == j % 7.
        weekly = (scaled.reshape(size, -1, 7).sum(1)
                  / observed.reshape(size, -1, 7).sum(1).clamp(min=1.0))
        same_weekday = weekly[:, torch.arange(horizon, device=future.device) % 7]
        position = self.horizon.weight[:horizon][None].expand(size, -1, -1)
        return torch.cat([future, batch["future_calendar"], same_weekday[..., None], position], -1)


def _heads(raw: torch.Tensor) -> torch.Tensor:
    mean = nn.functional.softplus(raw[..., :1])
    steps = nn.functional.softplus(raw[..., 2:])
    base = raw[..., 1:2]
    quantiles = base + torch.cat([torch.zeros_like(base), torch.cumsum(steps, -1)], -1)
    return torch.cat([mean, quantiles], -1)


def quantile_loss(outputs: torch.Tensor, scale: torch.Tensor, target: torch.Tensor,
                  mask: torch.Tensor) -> torch.Tensor:
    """Pinball loss over ``QUANTILES`` + 0.25 x squared error of the mean, observed days only.

    Targets are divided by ``scale`` and clipped at 50 so one bulk order cannot dominate.
    """
    scaled = (target / scale[:, None]).clamp(max=_TARGET_CLIP)
    levels = torch.tensor(QUANTILES, device=outputs.device, dtype=outputs.dtype)
    error = scaled[..., None] - outputs[..., 1:]
    pinball = torch.maximum(levels * error, (levels - 1.0) * error).mean(-1)
    squared = (outputs[..., 0] - scaled) ** 2
    return ((pinball + _MEAN_WEIGHT * squared) * mask).sum() / mask.sum().clamp(min=1.0)


def warmup_cosine(total_steps: int) -> Callable[[int], float]:
    """Learning-rate factor: linear warm-up over 5 % of the steps, then cosine decay to 10 %."""
    warmup = max(1, total_steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.1 + 0.45 * (1.0 + math.cos(math.pi * progress))

    return factor
