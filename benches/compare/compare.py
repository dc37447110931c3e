"""Side-by-side timing: the seed-style Python pipeline vs `genre-meter classify`.

Driven by run.sh (which builds the binaries, generates the clips and creates
the venv). In one run, on the same WAV clips, it alternates for each
repetition:

  A  the Python pipeline (pipeline.py: librosa + onnxruntime, one thread,
     pinned to CPU 0), timed inside its process after imports and a warm-up
     clip;
  B  whole processes, one core (pinned to CPU 0), CPU time of the process
     (rusage), start-up included: the Python pipeline on every clip once
     (imports, ONNX session, numba's first compilations), the same on the
     first clip alone, `genre-meter classify --jobs 1` on every clip and on
     the first clip alone. The difference between all clips and one clip,
     divided by the clips it adds, is each side's CPU per clip without its
     start-up;
  C  `genre-meter classify` on all cores;
  D  per window on the same windows: onnxruntime (one thread) and tract
     (crates/genre-core/examples/tract_windows.rs), batch 1 and batch 16.

The CLI runs with RUST_BACKTRACE and RUST_LIB_BACKTRACE unset, as a user
runs it: with them set, every error tract's optimiser raises and drops
while planning captures a backtrace.

It reports medians over repetitions of wall and CPU time, the ratios, and
checks that both pipelines pick the same genre for every clip (exit status
1 if not). Results also go to WORK/results.json.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import Pipeline  # noqa: E402

ONE_CORE = "0"  # the CPU the one-core runs are pinned to


def run_timed(cmd, env=None):
    """Runs `cmd`; returns (stdout, wall_s, cpu_s of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr}")
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.stdout, wall_s, cpu_s


def pinned(cmd):
    return (["taskset", "-c", ONE_CORE] if shutil.which("taskset") else []) + cmd


def user_env():
    """The environment without the backtrace switches (see the module docs)."""
    return {k: v for k, v in os.environ.items()
            if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")}


def one_thread_env():
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    return env


def time_ort(pipeline, windows, batch):
    """ms per window (wall, CPU) for one pass over `windows`, `batch` at a time."""
    logits = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(0, len(windows), batch):
        logits.append(pipeline.logits(windows[i : i + batch]))
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    return wall_s * 1e3 / len(windows), cpu_s * 1e3 / len(windows), np.concatenate(logits)


def median(values):
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=Path, required=True, help="folder searched for *.wav")
    parser.add_argument("--cli", type=Path, required=True, help="the release genre-meter binary")
    parser.add_argument("--tract", type=Path, required=True, help="the tract_windows example")
    parser.add_argument("--card", type=Path, required=True, help="model card (.json)")
    parser.add_argument("--work", type=Path, required=True, help="scratch and results folder")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window-passes", type=int, default=3, help="per-window passes per rep")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    # A corpus folder's manifest lists its clips; otherwise every WAV file
    # outside hidden (scratch) folders.
    manifest = args.clips / "manifest.csv"
    if manifest.exists():
        rows = manifest.read_text().splitlines()[1:]
        clips = sorted(args.clips / row.split(",")[0] for row in rows if row.strip())
    else:
        clips = sorted(p for p in args.clips.rglob("*.wav")
                       if not any(part.startswith(".") for part in p.relative_to(args.clips).parts))
    if not clips:
        sys.exit(f"no .wav clips under {args.clips}")
    audio_s = sum(soundfile.info(str(c)).duration for c in clips)
    pipeline = Pipeline(args.card)
    labels = pipeline.labels

    # The windows for the per-window comparison: librosa's, from the first clips.
    batch_max = 16
    windows = []
    for clip in clips:
        y = pipeline.load(clip)
        w, _silent = pipeline.windows(y, pipeline.log_mel(y))
        windows.extend(w)
        if len(windows) >= 8 * batch_max:
            break
    windows = np.stack(windows[: len(windows) // batch_max * batch_max]).astype(np.float32)
    windows_path = args.work / "windows.npy"
    np.save(windows_path, windows)

    timings = {k: [] for k in ("py_wall", "py_cpu", "py_setup_wall", "py_proc_wall",
                               "py_proc_cpu", "py_one_wall", "py_one_cpu", "cli1_wall",
                               "cli1_cpu", "cli_one_wall", "cli_one_cpu", "clin_wall",
                               "clin_cpu")}
    per_window = {(side, b, clock): [] for side in ("ort", "tract") for b in (1, batch_max)
                  for clock in ("wall", "cpu")}
    py_results = cli_results = None
    ort_logits = tract_logits = None
    cli_cmd = [str(args.cli), "classify", "--json", "--model", str(args.card)]
    py_cmd = [sys.executable, str(Path(__file__).parent / "pipeline.py"), "--card", str(args.card),
              "--out", str(args.work / "python.json")]
    py_plain_cmd = py_cmd[:-1] + [str(args.work / "python_plain.json"), "--no-warmup"]
    all_clips, first_clip = list(map(str, clips)), [str(clips[0])]
    for rep in range(args.reps):
        print(f"repetition {rep + 1}/{args.reps}: python", end="", flush=True)
        _, wall, cpu = run_timed(pinned(py_cmd + list(map(str, clips))), env=one_thread_env())
        py = json.loads((args.work / "python.json").read_text())
        timings["py_wall"].append(py["wall_s"])
        timings["py_cpu"].append(py["cpu_s"])
        timings["py_setup_wall"].append(wall - py["wall_s"])
        py_results = py["results"]

        print(", whole processes", end="", flush=True)
        for key, cmd in (("py_proc", py_plain_cmd + all_clips),
                         ("py_one", py_plain_cmd + first_clip)):
            _, wall, cpu = run_timed(pinned(cmd), env=one_thread_env())
            timings[f"{key}_wall"].append(wall)
            timings[f"{key}_cpu"].append(cpu)

        print(", cli --jobs 1", end="", flush=True)
        out, wall, cpu = run_timed(pinned(cli_cmd + ["--jobs", "1"] + all_clips), env=user_env())
        timings["cli1_wall"].append(wall)
        timings["cli1_cpu"].append(cpu)
        cli_results = [json.loads(line) for line in out.splitlines() if line.strip()]
        _, wall, cpu = run_timed(pinned(cli_cmd + ["--jobs", "1"] + first_clip), env=user_env())
        timings["cli_one_wall"].append(wall)
        timings["cli_one_cpu"].append(cpu)

        print(", cli all cores", end="", flush=True)
        _, wall, cpu = run_timed(cli_cmd + all_clips, env=user_env())
        timings["clin_wall"].append(wall)
        timings["clin_cpu"].append(cpu)

        print(", per window", flush=True)
        affinity = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {int(ONE_CORE)})
        for batch in (1, batch_max):
            for _ in range(args.window_passes):
                wall_ms, cpu_ms, logits = time_ort(pipeline, windows, batch)
                per_window[("ort", batch, "wall")].append(wall_ms)
                per_window[("ort", batch, "cpu")].append(cpu_ms)
                ort_logits = logits if ort_logits is None else ort_logits
            tract_cmd = [str(args.tract), str(args.card), str(windows_path), str(batch),
                         str(args.window_passes), str(args.work / f"tract_logits_b{batch}.npy")]
            out, _, _ = run_timed(pinned(tract_cmd), env=user_env())
            tract = json.loads(out)
            per_window[("tract", batch, "wall")].extend(tract["wall_ms_per_window"])
            per_window[("tract", batch, "cpu")].extend(tract["cpu_ms_per_window"])
        os.sched_setaffinity(0, affinity)

    # Agreement, clip by clip.
    cli_by_file = {str(Path(r["file"]).resolve()): r for r in cli_results}
    disagreements, max_prob_diff = [], 0.0
    for py in py_results:
        cli = cli_by_file.get(str(Path(py["file"]).resolve()))
        if cli is None or cli.get("top") != py["top"]:
            disagreements.append((py["file"], py["top"], cli and cli.get("top")))
            continue
        if py["probabilities"] and cli.get("probabilities"):
            diff = max(abs(py["probabilities"][k] - cli["probabilities"][k]) for k in labels)
            max_prob_diff = max(max_prob_diff, diff)
    tract_logits = {b: np.load(args.work / f"tract_logits_b{b}.npy") for b in (1, batch_max)}
    logit_diff = max(float(np.abs(tract_logits[b] - ort_logits).max()) for b in tract_logits)

    t = {k: median(v) for k, v in timings.items()}
    pw = {k: median(v) for k, v in per_window.items()}
    n = len(clips)
    cpu_model = next((line.split(":", 1)[1].strip() for line in
                      Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.processor())
    print()
    print(f"{n} clips, {audio_s:.0f} s of audio; {os.cpu_count()} cores ({cpu_model}); "
          f"medians of {args.reps} alternating repetitions; load average now "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'pipeline':44} {'wall s':>8} {'CPU s':>8} {'× real time':>12} {'vs Python (CPU, wall)':>22}")

    def row(name, wall, cpu, cores_note=""):
        rt = audio_s / cpu if cores_note == "" else audio_s / wall
        speed = f"{t['py_cpu'] / cpu:7.1f}× {t['py_wall'] / wall:7.1f}×"
        print(f"{name:44} {wall:8.2f} {cpu:8.2f} {rt:11.0f}{cores_note or '×'} {speed:>22}")

    row("Python: librosa + onnxruntime, 1 core", t["py_wall"], t["py_cpu"])
    row("genre-meter classify --jobs 1, 1 core", t["cli1_wall"], t["cli1_cpu"])
    row(f"genre-meter classify, all {os.cpu_count()} cores", t["clin_wall"], t["clin_cpu"], "× (wall)")
    print(f"  (Python start-up, imports and a warm-up clip, not counted above: "
          f"{t['py_setup_wall']:.2f} s; the CLI's start-up and model planning are counted)")
    print()
    # Whole processes, one core, start-up included; per clip without start-up.
    whole = {"py": (t["py_proc_cpu"], t["py_one_cpu"]), "cli": (t["cli1_cpu"], t["cli_one_cpu"])}
    marginal = {side: (all_s - one_s) / max(n - 1, 1) for side, (all_s, one_s) in whole.items()}
    startup = {side: whole[side][1] - marginal[side] for side in whole}
    print(f"whole processes, 1 core, CPU s        {'all clips':>10} {'1 clip':>8} "
          f"{'per clip':>9} {'start-up':>9} {'× real time':>12}")
    for side, name in (("py", "Python: librosa + onnxruntime"), ("cli", "genre-meter classify --jobs 1")):
        all_s, one_s = whole[side]
        print(f"  {name:36} {all_s:10.3f} {one_s:8.3f} {marginal[side] * 1e3:7.1f}ms "
              f"{startup[side]:8.3f}s {audio_s / all_s:11.0f}×")
    whole_ratio = whole["py"][0] / whole["cli"][0]
    clip_ratio = marginal["py"] / marginal["cli"]
    print(f"  CLI vs Python: {whole_ratio:.1f}× whole processes (start-up included), "
          f"{clip_ratio:.1f}× per clip without start-up; CLI "
          f"{audio_s / n / marginal['cli']:.0f}× real time per core without start-up")
    print()
    print(f"per window, {len(windows)} windows, 1 thread      {'ms wall':>8} {'ms CPU':>8} {'tract/ORT (CPU)':>16}")
    for batch in (1, batch_max):
        for side, name in (("ort", "onnxruntime"), ("tract", "tract")):
            ratio = pw[("tract", batch, "cpu")] / pw[("ort", batch, "cpu")] if side == "tract" else None
            print(f"  {name:12} batch {batch:<2}                      "
                  f"{pw[(side, batch, 'wall')]:8.3f} {pw[(side, batch, 'cpu')]:8.3f} "
                  f"{'' if ratio is None else f'{ratio:15.2f}×'}")
    print(f"  logits, tract vs onnxruntime: max |Δ| = {logit_diff:.2e}")
    print()
    agree = n - len(disagreements)
    print(f"predicted genre agrees on {agree}/{n} clips; largest probability difference "
          f"between the pipelines on agreeing clips: {max_prob_diff:.1e}")
    for file, py_top, cli_top in disagreements:
        print(f"  DISAGREE {file}: python {py_top}, genre-meter {cli_top}")

    (args.work / "results.json").write_text(json.dumps({
        "clips": n, "audio_s": audio_s, "medians": t,
        "per_window_ms": {f"{s}_b{b}_{c}": v for (s, b, c), v in pw.items()},
        "cpu_per_clip_s": marginal, "startup_cpu_s": startup,
        "whole_process_ratio": whole_ratio, "per_clip_ratio": clip_ratio,
        "raw": timings, "per_window_raw": {f"{s}_b{b}_{c}": v for (s, b, c), v in per_window.items()},
        "agree": agree, "max_prob_diff": max_prob_diff, "logit_max_abs_diff": logit_diff,
        "disagreements": disagreements, "cpu": cpu_model, "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }, indent=1))
    return 0 if not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
