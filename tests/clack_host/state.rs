//! The persisted state through the CLAP state extension: reproducible, and
//! corrupt, truncated, old-format or foreign state never panics and never
//! leaves anything but valid values (defaults wherever it is not valid).

use crate::host::{
    Layout, Loaded, ParamSummary, Rng, Stream, describe, example, model, num_windows, run,
};

/// A state as nice-plug writes it: 8-byte little-endian length, then JSON.
fn framed(json: &str) -> Vec<u8> {
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(json.as_bytes());
    bytes
}

/// A few seconds of the classical example, stereo, through `loaded`;
/// returns the windows analysed and the fewest and most expected.
fn play(loaded: &mut Loaded, seconds: f64) -> (u64, (u64, u64)) {
    let rate_hz = 44_100;
    let clip = example("classical", rate_hz);
    let signal = |_: usize, frame: u64| clip[frame as usize % clip.len()];
    let num_frames = (seconds * f64::from(rate_hz)) as u64;
    let stream = Stream::new(rate_hz, Layout::Stereo, num_frames, &signal);
    (run(loaded, &stream).num_windows, stream.expected_windows())
}

/// Every parameter's current value, by name.
fn values(loaded: &mut Loaded, params: &[ParamSummary]) -> Vec<(String, f64)> {
    params
        .iter()
        .map(|p| (p.name.clone(), loaded.param_value(p.id)))
        .collect()
}

fn defaults(params: &[ParamSummary]) -> Vec<(String, f64)> {
    params.iter().map(|p| (p.name.clone(), p.default)).collect()
}

/// An instance whose parameters are all off their defaults and whose
/// analysis holds windows.
fn used_instance() -> (Loaded, Vec<ParamSummary>) {
    let mut loaded = Loaded::new();
    let params = loaded.param_infos();
    assert!(play(&mut loaded, 12.0).0 >= 9);
    let bytes = loaded.save_state();
    let json: serde_json::Value = serde_json::from_slice(&bytes[8..]).unwrap();
    let mut json = json;
    json["params"] = serde_json::json!({
        "channel": {"string": "mid"},
        "response": {"string": "slow"},
        "gate": {"f32": -40.0},
        "target": {"i32": 3},
    });
    assert!(loaded.load_state(&framed(&json.to_string())));
    let now = values(&mut loaded, &params);
    for ((name, value), (_, default)) in now.iter().zip(defaults(&params)) {
        // Bypassed, it would not analyse: the tests play into it.
        if name != "Bypass" {
            assert_ne!(*value, default, "{name} is still at its default");
        }
    }
    (loaded, params)
}

#[test]
fn state_is_reproducible() {
    let mut first = Loaded::new();
    play(&mut first, 8.0);
    let saved = first.save_state();
    let mut second = Loaded::new();
    assert!(second.load_state(&saved), "a saved state must load");
    assert_eq!(
        saved,
        second.save_state(),
        "save → load → save changed the bytes"
    );
    // An instance that loaded the state goes on from it.
    let before = second.analysis();
    play(&mut second, 0.1);
    assert_eq!(second.analysis(), before);
    let (added, _) = play(&mut second, 4.0);
    assert_eq!(
        second.analysis().num_classified(),
        before.num_classified() + added
    );
}

#[test]
fn old_foreign_and_corrupt_json_load_as_defaults() {
    let analysis_of_another_model = r#"{\"version\":1,\"labels\":[\"speech\",\"music\"],\"track_sums_ppm\":[1000000,0],\"track_num_windows\":1,\"timeline_hop_ms\":1000,\"timeline\":[255,0]}"#;
    let cases = [
        // Another plugin's state.
        r#"{"version":"2.1.0","params":{"drive":{"f32":0.5},"mix":{"bool":true}},"fields":{"patch":"{\"osc\":3}"}}"#.to_owned(),
        // Our ids with the wrong kinds of values.
        r#"{"params":{"gate":{"i32":-40},"channel":{"f32":1.0},"response":{"bool":true},"target":{"string":"rock"}},"fields":{"analysis":"[1,2,3]"}}"#.to_owned(),
        // Out of range, unknown enum ids, enums by out-of-range index.
        r#"{"version":"0.1.0","params":{"gate":{"f32":1e30},"channel":{"string":"surround"},"response":{"i32":7},"target":{"i32":-5}},"fields":{}}"#.to_owned(),
        // An analysis that is not JSON, or not ours.
        r#"{"version":"0.1.0","params":{},"fields":{"analysis":"not json"}}"#.to_owned(),
        r#"{"version":"0.1.0","params":{},"fields":{"analysis":"{\"timeline\":[1,2,300]}"}}"#.to_owned(),
        format!(r#"{{"version":"0.1.0","params":{{}},"fields":{{"analysis":"{analysis_of_another_model}"}}}}"#),
        // An older analysis layout, and one from the future.
        r#"{"version":"0.0.1","params":{},"fields":{"analysis":"{\"version\":0,\"track\":[0.5,0.5]}"}}"#.to_owned(),
        r#"{"version":"9.0.0","params":{},"fields":{"analysis":"{\"version\":99}"}}"#.to_owned(),
    ];
    for (i, json) in cases.iter().enumerate() {
        let (mut loaded, params) = used_instance();
        assert!(
            loaded.load_state(&framed(json)),
            "case {i}: JSON state refused"
        );
        assert_eq!(
            values(&mut loaded, &params),
            defaults(&params),
            "case {i}: parameters are not at their defaults"
        );
        // The analysis starts over (the used one had 9 windows or more):
        // only what is played from now on counts.
        let (_, (fewest, most)) = play(&mut loaded, 4.5);
        let analysis = loaded.analysis();
        let summary = describe(&analysis);
        assert!(
            (fewest.max(1)..=most).contains(&num_windows(&analysis)),
            "case {i}: expected {fewest}–{most} windows: {summary}"
        );
        assert_eq!(
            analysis.num_classified(),
            num_windows(&analysis),
            "case {i}"
        );
        assert!(
            analysis.is_valid_for(&model().labels),
            "case {i}: {summary}"
        );
    }
}

/// A whole state as version 0.1 of the plugin saved it (analysis layout
/// 1: one mean over every window, a history whose all-zero entries were
/// silent), for the shipped model: 3 windows, 2 kept (1 dropped).
fn version_1_state() -> Vec<u8> {
    let labels = serde_json::to_string(&model().labels).unwrap();
    let num_labels = model().labels.len();
    let mut sums = vec![0u64; num_labels];
    sums[0] = 2_400_000;
    sums[1] = 600_000;
    let mut timeline = vec![0u8; 2 * num_labels];
    timeline[num_labels] = 204;
    timeline[num_labels + 1] = 51;
    let analysis = format!(
        r#"{{"version":1,"labels":{labels},"track_sums_ppm":{},"track_num_windows":3,"timeline_hop_ms":998,"timeline_num_dropped":1,"timeline":{}}}"#,
        serde_json::to_string(&sums).unwrap(),
        serde_json::to_string(&timeline).unwrap(),
    );
    let json = serde_json::json!({
        "version": "0.1.0",
        "params": {
            "channel": {"string": "mid"},
            "response": {"string": "slow"},
            "gate": {"f32": -50.0},
            "target": {"i32": 2},
        },
        "fields": {"analysis": analysis},
    });
    framed(&json.to_string())
}

#[test]
fn a_version_1_state_loads_and_goes_on() {
    let mut loaded = Loaded::new();
    let params = loaded.param_infos();
    assert!(
        loaded.load_state(&version_1_state()),
        "the old state was refused"
    );
    let value = |loaded: &mut Loaded, name: &str| {
        let id = params.iter().find(|p| p.name == name).unwrap().id;
        loaded.param_value(id)
    };
    // nice-plug shows CLAP hosts a float parameter normalised: −50 dB of −96…−12.
    let gate = value(&mut loaded, "Gate");
    assert!((gate - 46.0 / 84.0).abs() < 1e-6, "gate {gate}");
    assert_eq!(value(&mut loaded, "Target"), 2.0);
    assert_eq!(value(&mut loaded, "Bypass"), 0.0);
    let analysis = loaded.analysis();
    assert!(analysis.is_valid_for(&model().labels), "{analysis:?}");
    assert_eq!((analysis.num_music, analysis.num_no_genre), (3, 0));
    assert_eq!(&analysis.music_sums_ppm[..2], [2_400_000, 600_000]);
    assert_eq!(analysis.timeline_kinds, "sc");
    assert_eq!(
        (analysis.timeline_first, analysis.timeline_follows_song),
        (1, false)
    );
    let (means, _) = analysis.estimate(&model().decider).unwrap();
    assert!((means[0] - 0.8).abs() < 1e-6 && (means[1] - 0.2).abs() < 1e-6);
    // Saved again, it is the new layout, and stays byte for byte.
    let resaved = loaded.save_state();
    let mut again = Loaded::new();
    assert!(again.load_state(&resaved));
    assert_eq!(again.save_state(), resaved);
    // Playing goes on from it (a host without transport: a history).
    let (added, _) = play(&mut loaded, 4.5);
    assert!(added >= 1);
    let analysis = loaded.analysis();
    assert_eq!(analysis.num_classified(), 3 + added);
    assert_eq!(num_windows(&analysis), 3 + added);
}

#[test]
fn unreadable_state_is_refused_and_changes_nothing() {
    let (mut used, params) = used_instance();
    let used_values = values(&mut used, &params);
    let used_state = used.save_state();
    let mut fresh = Loaded::new();
    let fresh_state = fresh.save_state();

    let mut rng = Rng(3);
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("length only".into(), 100u64.to_le_bytes().to_vec()),
        ("absurd length".into(), vec![0xff; 8]),
        (
            "random bytes".into(),
            (0..4096).map(|_| rng.next_u64() as u8).collect(),
        ),
        ("JSON array".into(), framed("[]")),
        ("JSON null".into(), framed("null")),
        ("no fields".into(), framed(r#"{"params":{}}"#)),
        (
            "bad param value".into(),
            framed(r#"{"params":{"gate":{"f32":"loud"}},"fields":{}}"#),
        ),
        ("not UTF-8".into(), {
            let mut bytes = framed(r#"{"params":{},"fields":{"x":"ab"}}"#);
            let len = bytes.len();
            bytes[len - 4] = 0xff;
            bytes
        }),
    ];
    for len in (0..used_state.len()).step_by(used_state.len() / 40 + 1) {
        cases.push((
            format!("truncated to {len} bytes"),
            used_state[..len].to_vec(),
        ));
    }
    let mut length_too_short = used_state.clone();
    length_too_short[..8].copy_from_slice(&((used_state.len() - 20) as u64).to_le_bytes());
    cases.push(("length too short".into(), length_too_short));

    for (name, bytes) in &cases {
        assert!(!used.load_state(bytes), "{name}: accepted");
        assert!(!fresh.load_state(bytes), "{name}: accepted");
    }
    assert_eq!(values(&mut used, &params), used_values);
    assert_eq!(
        used.save_state(),
        used_state,
        "a refused state changed the instance"
    );
    assert_eq!(values(&mut fresh, &params), defaults(&params));
    assert_eq!(fresh.save_state(), fresh_state);
    assert!(
        play(&mut fresh, 4.0).0 > 0,
        "the fresh instance still analyses"
    );
}

#[test]
fn corrupted_bytes_load_as_valid_values_or_not_at_all() {
    let (mut source, params) = used_instance();
    let saved = source.save_state();
    let mut loaded = Loaded::new();
    let mut rng = Rng(11);
    let (mut num_accepted, mut num_refused) = (0, 0);
    for _ in 0..300 {
        let mut bytes = saved.clone();
        for _ in 0..1 + rng.below(3) {
            let at = 8 + rng.below(bytes.len() - 8);
            let alphabet = b" {}[]\",:0123456789.-eE\x00\xffanlistf";
            bytes[at] = alphabet[rng.below(alphabet.len())];
        }
        if loaded.load_state(&bytes) {
            num_accepted += 1;
            for (param, (name, value)) in params.iter().zip(values(&mut loaded, &params)) {
                assert!(
                    (param.min..=param.max).contains(&value),
                    "{name} = {value} outside {}..={}",
                    param.min,
                    param.max
                );
            }
        } else {
            num_refused += 1;
        }
    }
    println!("corrupted states: {num_accepted} loaded, {num_refused} refused");
    assert!(play(&mut loaded, 4.0).0 > 0, "the instance still analyses");
    assert!(loaded.analysis().is_valid_for(&model().labels));
}
