//! Times a model's tract plan as `Classifier` builds it, in total and node by
//! node: for comparing candidate architectures against onnxruntime on the
//! same inputs, and for seeing where the time goes.
//!
//! ```text
//! tract_nodes CARD.json INPUTS.npy PASSES [--stock]
//! ```
//!
//! `--stock` times tract's own plan for the card's network instead (tract's
//! optimiser only, without what `Classifier` changes in the plan).
//!
//! `INPUTS.npy` holds float32 network inputs `[N, 1, n_mels, frames]`, fed to
//! the plan as they are (the card's normalisation is not applied: these are
//! the network's own inputs, as onnxruntime gets them). Runs every input one at
//! a time `PASSES` times after a warm-up pass and prints one JSON line: the
//! process-CPU milliseconds per window of every pass, then per node (in plan
//! order) its op, name and thread-CPU milliseconds per window over all passes
//! but the warm-up. Reading the clock around every node adds a little, so the
//! totals come from separate passes that do not time nodes.

use std::path::PathBuf;
use std::time::Instant;

use genre_core::model::Classifier;
use ndarray::{Array4, Axis};
use ndarray_npy::read_npy;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::{SimpleState, eval};

fn cpu_time_s(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock exists on Linux.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (stock, args) = match &args[..] {
        [rest @ .., flag] if flag == "--stock" => (true, rest),
        rest => (false, rest),
    };
    let [card, inputs, passes] = args else {
        return Err("usage: tract_nodes CARD.json INPUTS.npy PASSES [--stock]".into());
    };
    let classifier = Classifier::load(&PathBuf::from(card))?;
    let stock_plan;
    let plan = if stock {
        let spec = &classifier.card().features;
        let onnx = classifier.card().model_path(&PathBuf::from(card));
        stock_plan = tract_onnx::onnx()
            .model_for_path(onnx)?
            .with_input_fact(0, f32::fact([1, 1, spec.n_mels, spec.window_frames]).into())?
            .into_optimized()?
            .into_runnable()?;
        &stock_plan
    } else {
        classifier.plan()
    };
    let inputs: Array4<f32> = read_npy(inputs)?;
    let passes: usize = passes.parse()?;
    let num_windows = inputs.shape()[0];
    let tensors: Vec<TValue> = inputs
        .axis_chunks_iter(Axis(0), 1)
        .map(|window| Tensor::from(window.to_owned()).into())
        .collect();

    let mut cpu_ms = Vec::new();
    let mut wall_ms = Vec::new();
    for pass in 0..=passes {
        let (wall0, cpu0) = (Instant::now(), cpu_time_s(libc::CLOCK_PROCESS_CPUTIME_ID));
        for input in &tensors {
            std::hint::black_box(plan.run(tvec!(input.clone()))?);
        }
        if pass > 0 {
            let cpu_s = cpu_time_s(libc::CLOCK_PROCESS_CPUTIME_ID) - cpu0;
            cpu_ms.push(cpu_s * 1e3 / num_windows as f64);
            wall_ms.push(wall0.elapsed().as_secs_f64() * 1e3 / num_windows as f64);
        }
    }

    let model = plan.model();
    let mut node_s = vec![0.0f64; model.nodes.len()];
    for pass in 0..=passes {
        for input in &tensors {
            let mut state = SimpleState::new(plan)?;
            state.run_plan_with_eval(tvec!(input.clone()), |ctx, op_state, node, inputs| {
                let t0 = cpu_time_s(libc::CLOCK_THREAD_CPUTIME_ID);
                let out = eval(ctx, op_state, node, inputs);
                if pass > 0 {
                    node_s[node.id] += cpu_time_s(libc::CLOCK_THREAD_CPUTIME_ID) - t0;
                }
                out
            })?;
        }
    }
    let per_window_ms = |s: f64| s * 1e3 / (passes * num_windows) as f64;
    let nodes: Vec<String> = plan
        .order_without_consts()
        .iter()
        .filter(|&&id| node_s[id] > 0.0)
        .map(|&id| {
            let node = &model.nodes[id];
            format!(
                "{{\"op\":{:?},\"name\":{:?},\"ms\":{:.5}}}",
                node.op.name(),
                node.name,
                per_window_ms(node_s[id])
            )
        })
        .collect();
    println!(
        "{{\"windows\":{num_windows},\"cpu_ms_per_window\":{cpu_ms:?},\
         \"wall_ms_per_window\":{wall_ms:?},\"nodes_ms_per_window\":[{}]}}",
        nodes.join(",")
    );
    Ok(())
}
