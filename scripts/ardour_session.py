#!/usr/bin/env python3
"""Helpers of scripts/ardour_test.sh (standard library only).

    ardour_session.py point-take SESSION.ardour LEFT.wav RIGHT.wav NUM_SAMPLES
        Points the session's recorded take at the test clip: copies the two
        mono files over the take's sources and sets the region's and the
        session range's length to NUM_SAMPLES.
    ardour_session.py state SESSION.ardour
        Prints Genre Meter's saved state (parameters and analysis) as JSON.
    ardour_session.py compare PLAYED.ardour RESAVED.ardour CLI.json CARD.json TOLERANCE
        Checks that the analysis and the parameters survived the reload and
        that the saved track so far agrees with the CLI on the same audio:
        the same status and top genre, every probability within TOLERANCE.

Ardour keeps a VST3 plugin's state in its processor's <chunk>: base64 of a
VST3 preset, "VST3", a version (4 bytes), the 32-character class id, the
offset of the chunk list (8 bytes, little-endian), then the component state
up to that offset, which for Genre Meter (nice-plug) is JSON.
"""

import base64
import json
import os
import shutil
import struct
import sys
import xml.etree.ElementTree as ET

#: Ardour 7's time unit: superclock ticks per second.
SUPERCLOCK_HZ = 282_240_000


def fail(message):
    print(f"genre-meter-test: FAILED: {message}")
    sys.exit(1)


def point_take(session_path, left, right, num_samples):
    tree = ET.parse(session_path)
    root = tree.getroot()
    rate = int(root.get("sample-rate"))
    sources = root.findall("./Sources/Source")
    if len(sources) != 2:
        fail(f"expected the take's 2 sources, found {len(sources)}")
    name = os.path.splitext(os.path.basename(session_path))[0]
    audio_dir = os.path.join(os.path.dirname(session_path), "interchange", os.path.basename(os.path.dirname(os.path.abspath(session_path))), "audiofiles")
    if not os.path.isdir(audio_dir):
        fail(f"no audio folder {audio_dir} in session {name}")
    for source, clip in zip(sources, [left, right]):
        shutil.copyfile(clip, os.path.join(audio_dir, source.get("name")))
    length = f"a{num_samples * SUPERCLOCK_HZ // rate}"
    regions = root.findall("./Regions/Region") + root.findall("./Playlists/Playlist/Region")
    if len(regions) != 2:
        fail(f"expected the take's whole-file and playlist regions, found {len(regions)}")
    for region in regions:
        region.set("start", "a0")
        region.set("length", f"{length}@a0")
        # No fades: the plugin hears the file's samples as the CLI reads them.
        region.set("fade-in-active", "0")
        region.set("fade-out-active", "0")
    session_range = root.find("./Locations/Location[@flags='IsSessionRange']")
    if session_range is None:
        fail("no session range")
    session_range.set("start", "a0")
    session_range.set("end", length)
    tree.write(session_path, encoding="UTF-8", xml_declaration=True)


def plugin_state(session_path):
    """The plugin's state JSON from the session file."""
    root = ET.parse(session_path).getroot()
    chunks = []
    for processor in root.iter("Processor"):
        if processor.get("name") != "Genre Meter":
            continue
        for chunk in processor.iter("chunk"):
            chunks.append(chunk.text.strip())
    if len(chunks) != 1:
        fail(f"expected one Genre Meter state in {session_path}, found {len(chunks)}")
    raw = base64.b64decode(chunks[0])
    if not raw.startswith(b"VST3"):
        fail("the state does not start with VST3")
    start = 4 + 4 + 32 + 8
    list_offset = struct.unpack("<Q", raw[start - 8:start])[0]
    state = json.loads(raw[start:list_offset])
    state["analysis"] = json.loads(state["fields"]["analysis"])
    return state


def estimate(analysis, card):
    """The track so far's estimate and status, by the rules of the card
    (genre_core::verdict::Tally and Decider)."""
    labels = analysis["labels"]
    decision = card.get("decision") or {}
    no_genre = set(decision.get("no_genre", []))
    threshold = decision.get("uncertain_threshold", 0.5)
    music, not_music = analysis["num_music"], analysis["num_no_genre"]
    if music + not_music == 0:
        return None, "silent"
    sums, n = (analysis["no_genre_sums_ppm"], not_music) if not_music > music else (analysis["music_sums_ppm"], music)
    means = [s / 1e6 / n for s in sums]
    genres = [(p, i) for i, p in enumerate(means) if labels[i] not in no_genre]
    others = [p for i, p in enumerate(means) if labels[i] in no_genre]
    top_p, top = max(genres)
    if others and max(others) > top_p:
        status = "not_music"
    elif top_p < threshold:
        status = "uncertain"
    else:
        status = "ok"
    return dict(zip(labels, means)), status, labels[top]


def compare(played_path, resaved_path, cli_path, card_path, tolerance):
    played, resaved = plugin_state(played_path), plugin_state(resaved_path)
    if played["params"] != resaved["params"]:
        fail(f"the parameters changed on reload: {played['params']} → {resaved['params']}")
    if played["analysis"] != resaved["analysis"]:
        fail("the analysis changed on reload")
    params = played["params"]
    print(f"genre-meter-test: parameters survived the reload: {json.dumps(params, sort_keys=True)}")
    analysis = played["analysis"]
    with open(card_path) as f:
        card = json.load(f)
    result = estimate(analysis, card)
    if result[0] is None:
        fail("the saved analysis is empty: nothing was classified")
    plugin, plugin_status, plugin_top = result
    with open(cli_path) as f:
        cli = json.loads(f.readline())
    cli_probabilities = cli["probabilities"]
    cli_status = cli.get("status")
    cli_top = max((p, label) for label, p in cli_probabilities.items() if label in plugin)[1]
    worst = max(abs(plugin[label] - cli_probabilities[label]) for label in plugin)
    kinds = analysis["timeline_kinds"]
    print(
        f"genre-meter-test: plugin {plugin_status} {plugin_top} {plugin[plugin_top]:.3f} "
        f"({analysis['num_music'] + analysis['num_no_genre']} windows classified, timeline "
        f"from song entry {analysis['timeline_first']}: {kinds}); CLI {cli_status} {cli_top} "
        f"{cli_probabilities[cli_top]:.3f} ({cli.get('windows')} windows); "
        f"largest difference {worst:.1e} (tolerance {tolerance})"
    )
    if not analysis["timeline_follows_song"]:
        fail("the timeline does not follow Ardour's transport")
    if plugin_top != cli_top:
        fail(f"top genre: plugin {plugin_top}, CLI {cli_top}")
    if cli_status is not None and plugin_status != cli_status:
        fail(f"status: plugin {plugin_status}, CLI {cli_status}")
    if worst > tolerance:
        fail(f"probabilities differ by {worst:.4f} > {tolerance}")


def main(argv):
    if len(argv) >= 2 and argv[1] == "point-take" and len(argv) == 6:
        point_take(argv[2], argv[3], argv[4], int(argv[5]))
    elif len(argv) == 3 and argv[1] == "state":
        print(json.dumps(plugin_state(argv[2]), indent=1))
    elif len(argv) == 7 and argv[1] == "compare":
        compare(argv[2], argv[3], argv[4], argv[5], float(argv[6]))
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
