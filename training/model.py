"""The genre CNN: four conv–BN–ReLU–pool blocks, global average pooling,
dropout and one dense layer to logits.

It is the usual mel-spectrogram CNN for GTZAN-style genre tagging, kept small
enough to train on two CPU cores, to ship in the repository and to run in well
under a millisecond per window. The first conv sees the full-resolution mel
image (fine harmonic detail) with 8 filters and is followed by a 4×4 pool, so
the second block runs on 32×32 instead of 128×130. Every later block doubles
the channels and halves both axes, so the cost per block stays roughly
constant, and global average pooling keeps the classifier head (and the ONNX
file) independent of the window length.

The pools average (as in PANNs' CNN14) rather than take the maximum: tract,
which runs the model in the plugin and the CLI, has no vectorised max-pool for
strided windows, and its average pool costs half as much. With 8 first-layer
filters instead of 16 the network runs 2.2× faster in tract than the 16-filter
max-pool one (see README, Performance).

Run `python training/model.py` to print the parameter count and the measured
forward+backward time per sample on two threads.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

#: Channels of the conv blocks; the first entry is the input (one mel image).
DEFAULT_CHANNELS = (1, 8, 32, 64, 128)
#: Pool size after each block (both axes).
DEFAULT_POOLS = (4, 2, 2, 2)
#: "avg" or "max" pooling after each block.
DEFAULT_POOL_KIND = "avg"
DEFAULT_DROPOUT = 0.3
POOL_KINDS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}
#: How the input window is normalised inside the network (see `GenreCnn.forward`).
INPUT_NORMS = ("window", "band")


def _block(in_channels: int, out_channels: int, pool: int, pool_kind: str) -> nn.Sequential:
    # NOTE: BatchNorm straight after the conv is folded into the conv's weights
    # by the ONNX runtimes (tract, onnxruntime), so at inference a block is one
    # conv, a ReLU and a pool. bias=False because BatchNorm's shift makes a conv
    # bias redundant.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        POOL_KINDS[pool_kind](kernel_size=pool),
    )


class GenreCnn(nn.Module):
    """Input `[N, 1, n_mels, window_frames]` normalised log-mel, output `[N, num_labels]` logits."""

    def __init__(
        self,
        num_labels: int,
        channels: tuple[int, ...] = DEFAULT_CHANNELS,
        dropout: float = DEFAULT_DROPOUT,
        pools: tuple[int, ...] = DEFAULT_POOLS,
        pool_kind: str = DEFAULT_POOL_KIND,
        input_norm: str = "window",
    ) -> None:
        super().__init__()
        if input_norm not in INPUT_NORMS:
            raise ValueError(f"input norm {input_norm!r} is not one of {INPUT_NORMS}")
        self.input_norm = input_norm
        if len(pools) != len(channels) - 1:
            raise ValueError(f"{len(channels) - 1} conv blocks need as many pool sizes, got {pools}")
        if pool_kind not in POOL_KINDS:
            raise ValueError(f"pool kind {pool_kind!r} is not one of {sorted(POOL_KINDS)}")
        self.features = nn.Sequential(
            *(_block(c_in, c_out, pool, pool_kind)
              for c_in, c_out, pool in zip(channels[:-1], channels[1:], pools))
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels[-1], num_labels)

    def embed(self, mel: torch.Tensor) -> torch.Tensor:
        """The pooled feature vector `[N, channels[-1]]` the classifier sees (domain adaptation reads it too)."""
        # NOTE: a gain change adds the same number of dB to every bin of a
        # log-mel window, so removing the window's mean makes the network
        # deaf to playback level (bins at the amin floor excepted): a track
        # mixed 20 dB quieter reads as the same genre. "band" removes each
        # mel band's mean over the window instead (frequency-wise instance
        # normalisation): a fixed EQ, a microphone's or a room's colour is a
        # per-band offset in dB and disappears with it, at the price of the
        # window's long-term spectral shape.
        if self.input_norm == "band":
            mel = mel - mel.mean(dim=3, keepdim=True)
        else:
            mel = mel - mel.mean(dim=(2, 3), keepdim=True)
        return self.flatten(self.pool(self.features(mel)))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.embed(mel)))


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def measure_train_step_ms(
    model: nn.Module, n_mels: int, window_frames: int, batch_size: int = 32, num_steps: int = 5
) -> tuple[float, float]:
    """Wall and process-CPU time per sample of forward+backward+Adam step, in ms, after a warm-up step.

    CPU time summed over threads is the number to trust when other jobs share
    the cores: wall time then mostly measures the contention.
    """
    model.train()
    optimizer = torch.optim.Adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    num_labels = model.classifier.out_features
    x = torch.randn(batch_size, 1, n_mels, window_frames)
    y = torch.randint(0, num_labels, (batch_size,))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    step()
    start_s, start_cpu_s = time.perf_counter(), time.process_time()
    for _ in range(num_steps):
        step()
    num_samples = num_steps * batch_size
    return ((time.perf_counter() - start_s) * 1000.0 / num_samples,
            (time.process_time() - start_cpu_s) * 1000.0 / num_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-mels", type=int, default=128)
    parser.add_argument("--window-frames", type=int, default=130)
    parser.add_argument("--num-labels", type=int, default=10)
    parser.add_argument("--channels", type=str, default=",".join(map(str, DEFAULT_CHANNELS[1:])))
    parser.add_argument("--pools", type=str, default=",".join(map(str, DEFAULT_POOLS)))
    parser.add_argument("--pool-kind", choices=sorted(POOL_KINDS), default=DEFAULT_POOL_KIND)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    channels = (1, *(int(c) for c in args.channels.split(",")))
    pools = tuple(int(p) for p in args.pools.split(","))
    model = GenreCnn(args.num_labels, channels, pools=pools, pool_kind=args.pool_kind)
    wall_ms, cpu_ms = measure_train_step_ms(model, args.n_mels, args.window_frames, args.batch_size)
    print(
        f"channels {channels[1:]}, {args.pool_kind} pools {pools}: {num_parameters(model):,} parameters; fwd+bwd+Adam at batch "
        f"{args.batch_size} on {args.threads} threads: {wall_ms:.1f} ms/sample wall, "
        f"{cpu_ms:.1f} ms/sample CPU (all threads)"
    )


if __name__ == "__main__":
    main()
