"""Trains the genre CNN on a feature directory and writes the model, its card,
the golden pair and the plots.

    python training/train.py build/features/corpus --out models --max-minutes 60

Input: a directory written by `genre-meter features DATASET --out DIR` (see
data.py). Output in `--out`: `<name>.onnx`, `<name>.json` (the model card the
Rust side loads), `<name>_golden_x.npy`, `<name>_golden_logits.npy`,
`<name>_training.png`, `<name>_confusion.png`.

Training: Adam on cross-entropy over logits, batch 32, learning rate halved
when validation accuracy plateaus, early stopping on validation window
accuracy. Augmentation works on the log-mel dB input, before normalisation: a
random gain (a dB offset is exactly what gain does to a log-mel spectrogram)
and SpecAugment frequency and time masks (masked bins get the training mean).

Labels named by `--no-genre` (default `not_music`, when the data has it) mean
"no genre": they go last in the output order and the card's `decision` lists
them apart from the genres. After training, the temperature and the
"uncertain" threshold are fitted on the validation windows (calibrate.py) and
written into the card (format 2). With `--adapt-features` (real music without
labels, training/realmusic.py), `--dann` trains the features to be domain
invariant and `--adabn` re-estimates batch-norm statistics on real audio
(adapt.py).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import random
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adapt import DomainHead, adabn, dann_weight, sample_rows
from calibrate import DEFAULT_TARGET_OK_ACCURACY, MAX_THRESHOLD, MIN_THRESHOLD, calibrate
from data import TRAIN_SPLIT, VAL_SPLIT, FeatureDir, WindowSplit, normalization_stats
from export import (INPUT_NAME, OUTPUT_NAME, export_onnx, onnx_io_shapes, pick_golden_rows,
                    verify_golden, write_golden)
from melchains import MelChains, consistency
from melchains import describe as melchains_describe
from metrics import split_metrics
from model import (DEFAULT_CHANNELS, DEFAULT_DROPOUT, DEFAULT_POOL_KIND, DEFAULT_POOLS, INPUT_NORMS, POOL_KINDS,
                   GenreCnn, num_parameters)
from plots import plot_confusions, plot_history

CARD_FORMAT_VERSION = 2
EVAL_BATCH_SIZE = 128


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("features", type=Path, help="feature directory written by `genre-meter features`")
    p.add_argument("--out", type=Path, default=Path("models"), help="where the model and card go")
    p.add_argument("--name", default="genre_cnn", help="file stem of the model and card")
    p.add_argument("--epochs", type=int, default=80, help="upper bound on epochs")
    p.add_argument("--patience", type=int, default=10, help="epochs without val improvement before stopping")
    p.add_argument("--max-minutes", type=float, default=90.0, help="wall-time budget for the training loop")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4, help="Adam L2 penalty")
    p.add_argument("--lr-patience", type=int, default=3, help="epochs without val improvement before halving lr")
    p.add_argument("--channels", default=",".join(map(str, DEFAULT_CHANNELS[1:])), help="conv block widths")
    p.add_argument("--pools", default=",".join(map(str, DEFAULT_POOLS)), help="pool size after each conv block")
    p.add_argument("--pool-kind", choices=sorted(POOL_KINDS), default=DEFAULT_POOL_KIND,
                   help="average or max pooling after each conv block")
    p.add_argument("--dropout", type=float, default=DEFAULT_DROPOUT)
    p.add_argument("--gain-db", type=float, default=10.0, help="random gain range ±dB (0 disables)")
    p.add_argument("--freq-masks", type=int, default=2, help="SpecAugment frequency masks per window")
    p.add_argument("--freq-mask-bins", type=int, default=16, help="maximum width of a frequency mask")
    p.add_argument("--time-masks", type=int, default=2, help="SpecAugment time masks per window")
    p.add_argument("--time-mask-frames", type=int, default=20, help="maximum width of a time mask")
    p.add_argument("--stretch", type=float, default=0.0,
                   help="random time stretch of each batch by a factor in [1-s, 1+s] (0 disables)")
    p.add_argument("--shift-bins", type=int, default=0,
                   help="random shift of each batch along the mel axis by up to ± this many bins (0 disables)")
    p.add_argument("--mixup", type=float, default=0.0, help="mixup Beta(a, a) parameter (0 disables)")
    p.add_argument("--chain-consistency", type=float, default=0.0,
                   help="weight of the Jensen-Shannon consistency between each window and the same window "
                        "through a random host/codec chain in the mel domain (training/melchains.py; 0 disables)")
    p.add_argument("--input-norm", choices=INPUT_NORMS, default="window",
                   help="remove each window's mean (window) or each mel band's mean over the window (band)")
    p.add_argument("--no-genre", default="not_music",
                   help="comma-separated labels that mean 'no genre' (those absent from the data are ignored)")
    p.add_argument("--adapt-features", type=Path, default=None,
                   help="feature directory of real music without labels (training/realmusic.py)")
    p.add_argument("--adapt-split", default="adapt", help="split of --adapt-features to adapt on")
    p.add_argument("--dann", type=float, default=0.0,
                   help="maximum weight of the domain-adversarial loss (0 disables; needs --adapt-features)")
    p.add_argument("--adabn", choices=("none", "real", "mix"), default="none",
                   help="re-estimate batch-norm statistics after training on real windows or a 50/50 mix")
    p.add_argument("--epoch-windows", type=int, default=0,
                   help="windows drawn per epoch (0: every training window once)")
    p.add_argument("--balance", action="store_true",
                   help="draw training windows so every label is seen equally often per epoch")
    p.add_argument("--init-weights", type=Path, default=None,
                   help="start from these PyTorch weights (a --save-weights file); with --epochs 0, only "
                        "adapt, calibrate and export them")
    p.add_argument("--save-weights", type=Path, default=None, help="also save the final PyTorch weights here")
    p.add_argument("--target-ok-accuracy", type=float, default=DEFAULT_TARGET_OK_ACCURACY,
                   help="calibration: the 'uncertain' threshold is the lowest at which files answered "
                        "'ok' on validation are right this often")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--golden-windows", type=int, default=4)
    p.add_argument("--command", default=None,
                   help="command line recorded in the card (default: this process's own)")
    return p.parse_args(argv)


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


class Augmenter:
    """Random gain and SpecAugment masks on a batch of raw dB windows, then normalisation."""

    def __init__(self, args: argparse.Namespace, mean: float, std: float, generator: torch.Generator) -> None:
        self.args, self.mean, self.std, self.gen = args, mean, std, generator

    def describe(self) -> str:
        a = self.args
        text = (f"random gain uniform ±{a.gain_db:g} dB per window; SpecAugment {a.freq_masks} frequency "
                f"mask(s) of 0–{a.freq_mask_bins} mel bins and {a.time_masks} time mask(s) of "
                f"0–{a.time_mask_frames} frames per window, masked bins set to the training mean")
        if a.stretch > 0:
            text += f"; time stretch per batch by a factor uniform in [{1 - a.stretch:g}, {1 + a.stretch:g}]"
        if a.shift_bins > 0:
            text += f"; mel-axis shift per batch uniform in ±{a.shift_bins} bins"
        if a.mixup > 0:
            text += f"; mixup with Beta({a.mixup:g}, {a.mixup:g})"
        return text

    def _stretch(self, x: torch.Tensor) -> torch.Tensor:
        """Resamples the time axis by a random factor and cuts a window of the original length.

        NOTE: a tempo the model never heard for a style is the cheapest way to
        stop it from recognising a template by its tempo alone. A squeezed
        window is shorter than the original, so it is tiled before cutting.
        """
        frames = x.shape[-1]
        factor = 1.0 + (float(torch.rand(1, generator=self.gen)) * 2 - 1) * self.args.stretch
        length = max(2, round(frames * factor))
        y = nn.functional.interpolate(x[:, None], size=(x.shape[1], length), mode="bilinear",
                                      align_corners=False)[:, 0]
        while y.shape[-1] < frames:
            y = torch.cat([y, y], dim=-1)
        start = int(torch.randint(0, y.shape[-1] - frames + 1, (1,), generator=self.gen))
        return y[..., start:start + frames]

    def _shift(self, x: torch.Tensor) -> torch.Tensor:
        """Moves the mel axis by a random number of bins, filling the vacated bins with the training mean (0)."""
        k = int(torch.randint(-self.args.shift_bins, self.args.shift_bins + 1, (1,), generator=self.gen))
        if k == 0:
            return x
        y = torch.zeros_like(x)
        if k > 0:
            y[:, k:] = x[:, :-k]
        else:
            y[:, :k] = x[:, -k:]
        return y

    def _masks(self, batch: int, axis_len: int, count: int, max_width: int) -> torch.Tensor:
        """`[batch, axis_len]` boolean, True where any of `count` random bands covers."""
        covered = torch.zeros(batch, axis_len, dtype=torch.bool)
        positions = torch.arange(axis_len)[None, :]
        for _ in range(count):
            width = torch.randint(0, max_width + 1, (batch, 1), generator=self.gen)
            start = (torch.rand(batch, 1, generator=self.gen) * (axis_len - width + 1)).floor()
            covered |= (positions >= start) & (positions < start + width)
        return covered

    def __call__(self, raw_db: torch.Tensor) -> torch.Tensor:
        batch, n_mels, frames = raw_db.shape
        a = self.args
        if a.gain_db > 0:
            gain = (torch.rand(batch, 1, 1, generator=self.gen) * 2 - 1) * a.gain_db
            raw_db = raw_db + gain
        x = (raw_db - self.mean) / self.std
        if a.stretch > 0:
            x = self._stretch(x)
        if a.shift_bins > 0:
            x = self._shift(x)
        if a.freq_masks > 0 and a.freq_mask_bins > 0:
            x = x.masked_fill(self._masks(batch, n_mels, a.freq_masks, a.freq_mask_bins)[:, :, None], 0.0)
        if a.time_masks > 0 and a.time_mask_frames > 0:
            x = x.masked_fill(self._masks(batch, frames, a.time_masks, a.time_mask_frames)[:, None, :], 0.0)
        return x.unsqueeze(1)


def predict_logits(model: nn.Module, split: WindowSplit, mean: float, std: float) -> np.ndarray:
    """Eval-mode logits for every window of `split`, in order."""
    model.eval()
    out = []
    with torch.no_grad():
        for _, raw in split.chunks(EVAL_BATCH_SIZE):
            x = (torch.from_numpy(raw) - mean) / std
            out.append(model(x.unsqueeze(1)).numpy())
    return np.concatenate(out)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    return float(nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y)))


def describe_data(fd: FeatureDir) -> str:
    """One sentence a reader of the card understands without the feature directory."""
    meta = fd.meta
    # The audio a window covers: frames k·hop … k·hop + n_fft (as FeatureSpec::window_duration_s says).
    seconds = ((fd.window_frames - 1) * fd.features["hop_length"] + fd.features["n_fft"]) / fd.features[
        "sample_rate_hz"]
    parts = [f"{name} {s['num_files']} files / {s['num_windows']} windows"
             for name, s in meta["splits"].items() if s.get("num_windows", 0)]
    kind = "manifest" if meta.get("source") == "manifest" else "folder-per-genre dataset"
    text = (f"{len(fd.labels)} labels ({', '.join(fd.labels)}) from the {kind} {meta.get('dataset')}; "
            f"windows of {fd.window_frames} frames (≈{seconds:.2f} s) every {meta.get('hop_frames')} frames; "
            + "; ".join(parts))
    failed = meta.get("failed_files") or []
    if failed:
        text += f"; {len(failed)} file(s) failed feature extraction and were left out"
    return text


def train(args: argparse.Namespace) -> dict:
    start_s = time.monotonic()
    torch.set_num_threads(args.threads)
    rng = seed_everything(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    fd = FeatureDir(args.features)
    for needed in (TRAIN_SPLIT, VAL_SPLIT):
        if not fd.has_split(needed):
            raise SystemExit(f"error: {fd.path}: split {needed!r} has no windows; training needs train and val")
    no_genre = [label for label in args.no_genre.split(",") if label in fd.labels]
    fd.reorder_labels([label for label in fd.labels if label not in no_genre] + no_genre)
    is_genre = np.asarray([label not in no_genre for label in fd.labels])
    train_split, val_split = fd.split(TRAIN_SPLIT), fd.split(VAL_SPLIT)
    eval_names = fd.evaluation_split_names
    adapt_split = None
    if args.adapt_features is not None:
        adapt_fd = FeatureDir(args.adapt_features)
        if adapt_fd.features != fd.features:
            raise SystemExit(f"error: {args.adapt_features}: feature settings differ from {fd.path}'s")
        adapt_split = adapt_fd.split(args.adapt_split)
        print(f"adaptation: {adapt_split.num_windows} real windows ({adapt_split.num_files} files) "
              f"from {args.adapt_features} split {args.adapt_split!r}", flush=True)
    elif args.dann > 0 or args.adabn != "none":
        raise SystemExit("error: --dann and --adabn need --adapt-features")
    mean, std = normalization_stats(train_split)
    print(f"features {fd.path}: labels {fd.labels}; train {train_split.num_windows} windows "
          f"({train_split.num_files} files), val {val_split.num_windows} ({val_split.num_files} files), "
          f"evaluation splits {eval_names or 'none'}; normalisation mean {mean:.3f} dB std {std:.3f} dB",
          flush=True)

    channels = (1, *(int(c) for c in args.channels.split(",")))
    pools = tuple(int(p) for p in args.pools.split(","))
    model = GenreCnn(len(fd.labels), channels, args.dropout, pools, args.pool_kind, args.input_norm)
    domain_head = DomainHead(channels[-1]) if args.dann > 0 else None
    parameters = list(model.parameters()) + (list(domain_head.parameters()) if domain_head else [])
    optimizer = torch.optim.Adam(parameters, lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5,
                                                           patience=args.lr_patience)
    loss_fn = nn.CrossEntropyLoss()
    domain_loss_fn = nn.BCEWithLogitsLoss()
    augment = Augmenter(args, mean, std, gen)
    mel_chains = None
    if args.chain_consistency > 0:
        if args.mixup > 0 or args.dann > 0:
            raise SystemExit("error: --chain-consistency does not combine with --mixup or --dann")
        mel_chains = MelChains.measured(fd.features, args.seed)
    print(f"model: channels {channels[1:]}, {args.pool_kind} pools {pools}, {num_parameters(model):,} parameters",
          flush=True)

    budget_s = args.max_minutes * 60.0
    loop_start_s = time.monotonic()
    history: list[dict] = []
    if args.init_weights is not None:
        model.load_state_dict(torch.load(args.init_weights, weights_only=True))
        print(f"weights from {args.init_weights}", flush=True)
    best = {"val_accuracy": -1.0, "val_loss": math.inf, "epoch": 0, "state": copy.deepcopy(model.state_dict())}
    if args.balance:
        # NOTE: each window is drawn with probability 1 / (windows of its label), so an
        # epoch holds as many windows as before, every label about equally often.
        label_counts = np.bincount(train_split.y, minlength=len(fd.labels)).astype(np.float64)
        draw_p = 1.0 / label_counts[train_split.y]
        draw_p /= draw_p.sum()
    stop_reason = f"reached --epochs {args.epochs}"
    for epoch in range(1, args.epochs + 1):
        epoch_start_s = time.monotonic()
        model.train()
        if domain_head is not None:
            domain_head.train()
        epoch_size = args.epoch_windows or train_split.num_windows
        if args.balance:
            order = rng.choice(train_split.num_windows, size=epoch_size, p=draw_p)
        else:
            order = rng.permutation(train_split.num_windows)
            while len(order) < epoch_size:
                order = np.concatenate([order, rng.permutation(train_split.num_windows)])
            order = order[:epoch_size]
        num_batches = math.ceil(len(order) / args.batch_size)
        loss_sum, correct, seen, domain_sum, domain_correct = 0.0, 0, 0, 0.0, 0
        out_of_time = False
        for batch_start in range(0, len(order), args.batch_size):
            idx = order[batch_start:batch_start + args.batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples to compute batch statistics
                continue
            x = augment(torch.from_numpy(train_split.batch(idx)))
            y = torch.from_numpy(train_split.y[idx])
            optimizer.zero_grad(set_to_none=True)
            if args.mixup > 0:
                lam = float(rng.beta(args.mixup, args.mixup))
                perm = torch.from_numpy(rng.permutation(len(idx)))
                logits = model(lam * x + (1 - lam) * x[perm])
                loss = lam * loss_fn(logits, y) + (1 - lam) * loss_fn(logits, y[perm])
            elif mel_chains is not None:
                # The same window twice, with the same gain and masks, once through a random chain:
                # both must be right and the answers must agree.
                raw = torch.from_numpy(train_split.batch(idx))
                state = gen.get_state()
                x = augment(raw)
                gen.set_state(state)
                both = model(torch.cat([x, augment(mel_chains(raw))]))
                logits, chained_logits = both[:len(idx)], both[len(idx):]
                loss = ((loss_fn(logits, y) + loss_fn(chained_logits, y)) / 2
                        + args.chain_consistency * consistency(logits, chained_logits))
            elif domain_head is not None:
                # Generated windows teach the genres; generated and real windows together
                # teach the domain head, whose reversed gradient makes the features agree.
                real = augment(torch.from_numpy(adapt_split.batch(sample_rows(adapt_split.num_windows,
                                                                              len(idx), rng))))
                embedded = model.embed(torch.cat([x, real]))
                logits = model.classifier(model.dropout(embedded[:len(idx)]))
                progress = ((epoch - 1) * num_batches + batch_start // args.batch_size) / (
                    args.epochs * num_batches)
                domain_logits = domain_head(embedded, dann_weight(progress, args.dann))
                domain_y = torch.cat([torch.zeros(len(idx)), torch.ones(len(idx))])
                domain_loss = domain_loss_fn(domain_logits, domain_y)
                loss = loss_fn(logits, y) + domain_loss
                domain_sum += domain_loss.item() * len(idx)
                domain_correct += int(((domain_logits > 0).float() == domain_y).sum())
            else:
                logits = model(x)
                loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
            if time.monotonic() - loop_start_s > budget_s:
                out_of_time = True
                break

        val_logits = predict_logits(model, val_split, mean, std)
        val = split_metrics(val_logits, val_split.y, val_split.file_idx, fd.labels, is_genre)
        record = {
            "epoch": epoch,
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "val_loss": cross_entropy(val_logits, val_split.y),
            "val_accuracy": val["window_accuracy"],
            "val_file_accuracy": val["file_accuracy"],
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": time.monotonic() - epoch_start_s,
        }
        if domain_head is not None:
            record["domain_loss"] = domain_sum / max(seen, 1)
            record["domain_accuracy"] = domain_correct / max(2 * seen, 1)
        history.append(record)
        improved = (record["val_accuracy"], -record["val_loss"]) > (best["val_accuracy"], -best["val_loss"])
        if improved:
            best.update(val_accuracy=record["val_accuracy"], val_loss=record["val_loss"], epoch=epoch,
                        state=copy.deepcopy(model.state_dict()))
        print(f"epoch {epoch:3d}  train loss {record['train_loss']:.4f} acc {record['train_accuracy']:.3f}  "
              f"val loss {record['val_loss']:.4f} acc {record['val_accuracy']:.3f} "
              f"files {record['val_file_accuracy']:.3f}  lr {record['lr']:.2e}  "
              f"{record['seconds']:.0f} s{'  *' if improved else ''}"
              + (f"  domain loss {record['domain_loss']:.3f} acc {record['domain_accuracy']:.3f}"
                 if domain_head is not None else ""), flush=True)
        scheduler.step(record["val_accuracy"])

        elapsed_s = time.monotonic() - loop_start_s
        if out_of_time:
            stop_reason = f"--max-minutes {args.max_minutes:g} ran out during epoch {epoch}"
            break
        if epoch - best["epoch"] >= args.patience:
            stop_reason = f"no val improvement for {args.patience} epochs"
            break
        if epoch < args.epochs and elapsed_s + record["seconds"] > budget_s:
            stop_reason = f"another epoch would exceed --max-minutes {args.max_minutes:g}"
            break
    print(f"stopped: {stop_reason}; best epoch {best['epoch']} (val accuracy {best['val_accuracy']:.3f})",
          flush=True)
    model.load_state_dict(best["state"])
    model.eval()
    if not history:
        # --epochs 0: the loaded weights are the model; measure them like an epoch would.
        best["val_accuracy"] = split_metrics(predict_logits(model, val_split, mean, std), val_split.y,
                                             val_split.file_idx, fd.labels, is_genre)["window_accuracy"]
    if args.save_weights is not None:
        args.save_weights.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), args.save_weights)
    adaptation = "none"
    if args.adabn != "none":
        adabn(model, adabn_batches(args.adabn, train_split, adapt_split, mean, std, rng), ADABN_BATCHES)
        adaptation = (f"batch-norm statistics re-estimated on {ADABN_BATCHES * EVAL_BATCH_SIZE} "
                      + ("real windows" if args.adabn == "real" else "windows, half real, half generated")
                      + f" (AdaBN) from {args.adapt_features}")
    if domain_head is not None:
        adaptation = (f"domain-adversarial training (gradient reversal, weight ramped to {args.dann:g}) "
                      f"against {adapt_split.num_windows} real windows of {args.adapt_features}"
                      + ("; then " + adaptation if args.adabn != "none" else ""))

    # Calibration on the validation windows (clean and chained songs, non-music clips).
    val_logits = predict_logits(model, val_split, mean, std)
    calibration = calibrate(val_logits, val_split.y, val_split.file_idx, is_genre, args.target_ok_accuracy)
    temperature, threshold = calibration["temperature"], calibration["uncertain_threshold"]
    print(f"calibration on {val_split.num_windows} val windows: temperature {temperature:.3f}, "
          f"uncertain below {threshold:.2f}; window ECE {calibration['calibration_window_ece_before']:.3f} → "
          f"{calibration['calibration_window_ece_after']:.3f}", flush=True)

    # Final metrics with the best weights and no augmentation.
    train_logits = predict_logits(model, train_split, mean, std)
    train_accuracy = float((train_logits.argmax(1) == train_split.y).mean())
    eval_metrics, eval_logits = {}, {}
    for name in eval_names:
        split = fd.split(name)
        eval_logits[name] = predict_logits(model, split, mean, std)
        eval_metrics[name] = split_metrics(eval_logits[name], split.y, split.file_idx, fd.labels, is_genre,
                                           temperature, threshold)
        uncalibrated = split_metrics(eval_logits[name], split.y, split.file_idx, fd.labels, is_genre)
        eval_metrics[name]["window_ece_uncalibrated"] = uncalibrated["window_ece"]
        eval_metrics[name]["file_ece_uncalibrated"] = uncalibrated["file_ece"]
        eval_metrics[name].pop("num_windows")

    # Export, golden pair and the onnxruntime check.
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{args.name}.onnx"
    ops = export_onnx(model, onnx_path, fd.n_mels, fd.window_frames)
    golden_source = fd.split(eval_names[0] if eval_names else VAL_SPLIT)
    rows = pick_golden_rows(golden_source.num_windows, golden_source.file_idx, args.golden_windows)
    golden = write_golden(model, golden_source.batch(rows), mean, std, args.out, args.name)
    worst_diff = verify_golden(onnx_path, args.out, golden, mean, std)
    shapes = onnx_io_shapes(onnx_path)
    print(f"exported {onnx_path} ({onnx_path.stat().st_size / 1024:.0f} KiB, ops {', '.join(ops)}); "
          f"onnxruntime vs PyTorch on {len(rows)} golden windows from {golden_source.name}: "
          f"max |diff| {worst_diff:.2e}", flush=True)

    plot_history(history, best["epoch"], args.out / f"{args.name}_training.png")
    plot_confusions(eval_metrics, fd.labels, args.out / f"{args.name}_confusion.png")

    meta = fd.meta
    card = {
        "format_version": CARD_FORMAT_VERSION,
        "name": args.name,
        "model_file": onnx_path.name,
        "labels": fd.labels,
        "features": fd.features,
        "input": {"name": INPUT_NAME, "shape": shapes[INPUT_NAME]},
        "output": {"name": OUTPUT_NAME, "shape": shapes[OUTPUT_NAME]},
        "normalization": {"mean": mean, "std": std},
        "decision": {
            "genres": [label for label, g in zip(fd.labels, is_genre) if g],
            "no_genre": [label for label, g in zip(fd.labels, is_genre) if not g],
            "temperature": temperature,
            "uncertain_threshold": threshold,
            "calibration": {
                "data": f"the {val_split.num_windows} validation windows ({val_split.num_files} files) of "
                        f"{fd.path.name}: held-out songs, clean and through host/codec chains, and non-music",
                "method": "temperature minimising the negative log-likelihood; threshold the lowest (0.01 "
                          f"steps, within {MIN_THRESHOLD:g}–{MAX_THRESHOLD:g}) at which files answered 'ok' are right at least "
                          f"{args.target_ok_accuracy:g} of the time",
                **{k: v for k, v in calibration.items() if k not in ("temperature", "uncertain_threshold")},
            },
        },
        "golden": golden,
        "training": {
            "data": describe_data(fd),
            "dataset": meta.get("dataset"),
            "split_method": meta.get("split_method"),
            "num_windows": {n: s["num_windows"] for n, s in meta["splits"].items()},
            "num_files": {n: s["num_files"] for n, s in meta["splits"].items()},
            "epochs_run": len(history),
            "best_epoch": best["epoch"],
            "optimizer": (f"Adam lr {args.lr:g} (halved after {args.lr_patience} epochs without val "
                          f"improvement), weight decay {args.weight_decay:g}, batch {args.batch_size}; "
                          f"early stopping on val window accuracy, patience {args.patience}; "
                          f"stopped because {stop_reason}; CNN channels {list(channels[1:])}, {args.pool_kind} pools {list(pools)}, "
                          f"dropout {args.dropout:g}, {num_parameters(model)} parameters"
                          + ("; training windows drawn label-balanced" if args.balance else "")
                          + (f"; {args.epoch_windows} windows per epoch" if args.epoch_windows else "")
                          + (f"; started from {args.init_weights}" if args.init_weights else "")),
            "loss": "categorical cross-entropy",
            "augmentation": augment.describe() + (
                f"; {melchains_describe()}, with a Jensen-Shannon consistency loss of weight "
                f"{args.chain_consistency:g} between each window and its chained copy" if mel_chains else ""),
            "input_norm": args.input_norm,
            "adaptation": adaptation,
            "seed": args.seed,
            "torch_version": torch.__version__,
            "command": args.command or shlex.join([Path(sys.executable).name, *sys.argv]),
            "date": dt.date.today().isoformat(),
            "duration_s": round(time.monotonic() - start_s, 1),
        },
        "metrics": {
            "train_accuracy": train_accuracy,
            "val_accuracy": best["val_accuracy"],
            "splits": eval_metrics,
        },
    }
    card_path = args.out / f"{args.name}.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {card_path}", flush=True)
    print_summary(card)
    return card


ADABN_BATCHES = 64


def adabn_batches(kind: str, train_split: WindowSplit, adapt_split: WindowSplit, mean: float, std: float,
                  rng: np.random.Generator):
    """Normalised batches for AdaBN: real windows, or half real and half generated."""
    while True:
        if kind == "real":
            raw = adapt_split.batch(sample_rows(adapt_split.num_windows, EVAL_BATCH_SIZE, rng))
        else:
            half = EVAL_BATCH_SIZE // 2
            raw = np.concatenate([adapt_split.batch(sample_rows(adapt_split.num_windows, half, rng)),
                                  train_split.batch(sample_rows(train_split.num_windows, half, rng))])
        yield ((torch.from_numpy(raw) - mean) / std).unsqueeze(1)


def print_summary(card: dict) -> None:
    m = card["metrics"]
    print(f"\n{card['name']}: train accuracy {m['train_accuracy']:.3f}, val accuracy {m['val_accuracy']:.3f} "
          f"(windows)")
    if m["splits"]:
        print(f"{'split':<24}{'files':>7}{'window acc':>12}{'file acc':>10}{'ok':>7}{'unsure':>7}{'not mus':>8}"
              f"{'file ECE':>10}")
        for name, s in m["splits"].items():
            f = s["status_fractions"]
            print(f"{name:<24}{s['num_files']:>7}{s['window_accuracy']:>12.3f}{s['file_accuracy']:>10.3f}"
                  f"{f['ok']:>7.3f}{f['uncertain']:>7.3f}{f['not_music']:>8.3f}{s['file_ece']:>10.3f}")


def main(argv: list[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
