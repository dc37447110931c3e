"""Training curves and confusion matrices as PNGs (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def plot_history(history: list[dict], best_epoch: int, path: str | Path) -> None:
    """Loss and accuracy per epoch, train (augmented batches) vs validation."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train (augmented)")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], label="val")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.plot(epochs, [h["train_accuracy"] for h in history], label="train windows (augmented)")
    ax_acc.plot(epochs, [h["val_accuracy"] for h in history], label="val windows")
    ax_acc.plot(epochs, [h["val_file_accuracy"] for h in history], label="val files", linestyle="--")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1))
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.axvline(best_epoch, color="grey", linewidth=0.8, linestyle=":")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusions(split_metrics: dict[str, dict], labels: list[str], path: str | Path) -> None:
    """One row-normalised, file-level confusion matrix per evaluation split."""
    names = list(split_metrics)
    if not names:
        return
    size = max(4.0, 0.55 * len(labels) + 1.5)
    fig, axes = plt.subplots(1, len(names), figsize=(size * len(names), size), squeeze=False)
    for ax, name in zip(axes[0], names):
        counts = np.asarray(split_metrics[name]["confusion_matrix"], dtype=np.float64)
        row_sums = counts.sum(axis=1, keepdims=True)
        normalised = np.divide(counts, row_sums, out=np.zeros_like(counts), where=row_sums > 0)
        ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if counts[i, j]:
                    ax.text(j, i, f"{normalised[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if normalised[i, j] > 0.5 else "black")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        acc = split_metrics[name]["file_accuracy"]
        ax.set(xlabel="predicted", ylabel="true",
               title=f"{name}: {split_metrics[name]['num_files']} files, accuracy {acc:.3f}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
