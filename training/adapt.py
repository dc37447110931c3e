"""Learning from real music that has no labels (unsupervised domain adaptation).

The corpus is generated; users play records. Two ways across that gap that
need no labels, both driven by the real soundtracks training/realmusic.py
collects (the `adapt` split of its feature directory):

- domain-adversarial training (DANN, Ganin & Lempitsky 2015): a small head
  tries to tell generated from real windows by the network's pooled
  features, and its gradient reaches the features reversed, so they learn to
  carry what both domains share;
- AdaBN (Li et al. 2016): after training, the batch-norm statistics are
  re-estimated on real windows (or a mix), so every layer sees the real
  audio's scale and offset. It changes only the exported running means and
  variances.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.weight * grad, None


def reverse_gradient(x: torch.Tensor, weight: float) -> torch.Tensor:
    """Identity forward; the gradient is multiplied by `-weight` on the way back."""
    return _ReverseGradient.apply(x, weight)


class DomainHead(nn.Module):
    """Generated (0) or real (1) from the pooled feature vector; logits `[N]`."""

    def __init__(self, num_features: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(num_features, hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor, weight: float) -> torch.Tensor:
        return self.net(reverse_gradient(features, weight)).squeeze(1)


def dann_weight(progress: float, max_weight: float) -> float:
    """The usual schedule: from 0 to `max_weight` as training progresses (0..1), smooth at the start."""
    return max_weight * (2.0 / (1.0 + math.exp(-10.0 * min(max(progress, 0.0), 1.0))) - 1.0)


@torch.no_grad()
def adabn(model: nn.Module, batches, num_batches: int) -> None:
    """Re-estimates every BatchNorm's running statistics from `batches` (normalised inputs `[N, 1, M, T]`).

    The statistics become the plain average over the batches (momentum None);
    the weights are untouched. Leaves the model in eval mode.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [(m.momentum,) for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for i, x in enumerate(batches):
        if i >= num_batches:
            break
        model(x)
    for m, (momentum,) in zip(norms, saved):
        m.momentum = momentum
    model.eval()


def sample_rows(num_rows: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` row indices drawn without replacement while possible, sorted for memmap reads."""
    return np.sort(rng.choice(num_rows, size=count, replace=count > num_rows))
