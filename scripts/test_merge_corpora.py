"""Tests of scripts/merge_corpora.py (standard library only; run by scripts/test.sh)."""

import csv
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "merge_corpora.py")
FIELDS = ["file", "label", "group", "split", "template"]


def write_corpus(root, rows, fields=FIELDS):
    os.makedirs(root)
    with open(os.path.join(root, "manifest.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        writer.writerows(rows)


def merge(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


class MergeCorpora(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        split_rows = [
            ("blues/blues.00000.wav", "blues", "blues-00000", "train", "slowblues"),
            ("blues/blues.00001.wav", "blues", "blues-00001", "val", "slowblues"),
            ("blues/blues.00002.wav", "blues", "blues-00002", "test", "slowblues"),
            ("blues/blues.00003.wav", "blues", "blues-00003", "test_template", "fastblues"),
        ]
        self.main = os.path.join(self.dir, "seed11")
        self.extra = os.path.join(self.dir, "seed12")
        write_corpus(self.main, split_rows)
        write_corpus(self.extra, split_rows)
        self.out = os.path.join(self.dir, "merged")

    def tearDown(self):
        self.tmp.cleanup()

    def read(self):
        with open(os.path.join(self.out, "manifest.csv"), newline="") as f:
            return [(r["file"], r["group"], r["split"]) for r in csv.DictReader(f)]

    def test_keeps_the_first_corpus_whole_and_only_training_songs_of_the_others(self):
        result = merge(self.out, self.main, self.extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.read(), [
            ("a/blues/blues.00000.wav", "a-blues-00000", "train"),
            ("a/blues/blues.00001.wav", "a-blues-00001", "val"),
            ("a/blues/blues.00002.wav", "a-blues-00002", "test"),
            ("a/blues/blues.00003.wav", "a-blues-00003", "test_template"),
            ("b/blues/blues.00000.wav", "b-blues-00000", "train"),
            ("b/blues/blues.00001.wav", "b-blues-00001", "val"),
        ])
        # The paths resolve through the links to the corpora.
        self.assertEqual(os.path.realpath(os.path.join(self.out, "b")), os.path.realpath(self.extra))
        self.assertIn("test 1, test_template 1, train 2, val 2", result.stdout)

    def test_merging_again_replaces_the_links(self):
        self.assertEqual(merge(self.out, self.main).returncode, 0)
        result = merge(self.out, self.extra, self.main)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(os.path.realpath(os.path.join(self.out, "a")), os.path.realpath(self.extra))
        self.assertEqual([split for _, _, split in self.read()],
                         ["train", "val", "test", "test_template", "train", "val"])

    def test_refuses_a_missing_manifest_and_missing_columns(self):
        result = merge(self.out, self.main, os.path.join(self.dir, "nowhere"))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("nowhere/manifest.csv: not found", result.stderr)
        other = os.path.join(self.dir, "other")
        write_corpus(other, [("x.wav", "blues", "train")], fields=["file", "label", "split"])
        result = merge(self.out, self.main, other)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("missing columns ['group']", result.stderr)
        self.assertFalse(os.path.exists(self.out), "a refused merge touches nothing")

    def test_other_columns_are_kept_and_filled(self):
        extra = os.path.join(self.dir, "chained")
        write_corpus(extra, [("blues/blues.00000.chain0.wav", "blues", "blues-00000", "train", "slowblues",
                              "mp3 128")], fields=FIELDS + ["chain"])
        self.assertEqual(merge(self.out, self.main, extra).returncode, 0)
        with open(os.path.join(self.out, "manifest.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(list(rows[0]), FIELDS + ["chain"])
        self.assertEqual([r["chain"] for r in rows], ["", "", "", "", "mp3 128"])

    def test_a_corpus_with_tests_keeps_them_under_its_own_names(self):
        nonmusic = os.path.join(self.dir, "nonmusic")
        write_corpus(nonmusic, [
            ("not_music/noise.00000.wav", "not_music", "n0", "train", "noise"),
            ("not_music/noise.00001.wav", "not_music", "n1", "test", "noise"),
            ("not_music/hum.00002.wav", "not_music", "n2", "test_template", "hum"),
        ])
        result = merge(self.out, self.main, self.extra, "--with-tests", f"{nonmusic}:_nonmusic")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.read()[6:], [
            ("c/not_music/noise.00000.wav", "c-n0", "train"),
            ("c/not_music/noise.00001.wav", "c-n1", "test_nonmusic"),
            ("c/not_music/hum.00002.wav", "c-n2", "test_template_nonmusic"),
        ])
        self.assertEqual([split for _, _, split in self.read()[:4]], ["train", "val", "test", "test_template"])
        self.assertNotEqual(merge(self.out, self.main, "--with-tests", nonmusic).returncode, 0)


if __name__ == "__main__":
    unittest.main()
