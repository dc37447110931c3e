//! The timeline: what each stretch of audio was, one entry per hop.
//!
//! It runs one of two ways:
//! - **following the song** (the host reports its transport): entry `k` is
//!   song time `k × hop`. A window lands in the entry of its centre and
//!   replaces what was there, so replaying a section updates it instead of
//!   appending, and parts never played stay [`EntryKind::Empty`]. Song
//!   positions past [`Timeline::max_song_entries`] are not kept.
//! - **a listening history** (no transport: the standalone, live input):
//!   entries are appended as windows come; once [`Timeline::max_entries`]
//!   are kept, each new one drops the oldest.
//!
//! Each entry keeps its window's probabilities at full precision, so the
//! track so far can be counted again from the entries when one is replaced
//! ([`Timeline::for_each_classified`]); snapshots and the saved state get
//! them as bytes (probability × 255).

use std::collections::VecDeque;

use crate::params::EntryKind;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Values per entry: the model's label count.
    num_labels: usize,
    /// Whether entries are song positions rather than a history.
    follows_song: bool,
    /// Entries a history keeps.
    max_entries: usize,
    /// Entries a song timeline keeps (song entries `0..max_song_entries`).
    max_song_entries: usize,
    /// A history: entries dropped from its front since the last clear.
    /// Following the song: the song entry of the first kept entry.
    first: u64,
    /// One kind per entry, oldest (or earliest in the song) first.
    kinds: VecDeque<EntryKind>,
    /// `num_labels` probabilities per entry (zeros unless classified).
    probabilities: VecDeque<f32>,
}

impl Timeline {
    /// An empty history of at most `max_entries` entries of `num_labels`
    /// values, which can switch to following a song of `max_song_entries`
    /// entries. Allocates the history's room.
    pub fn new(num_labels: usize, max_entries: usize, max_song_entries: usize) -> Self {
        Self {
            num_labels,
            follows_song: false,
            max_entries,
            max_song_entries,
            first: 0,
            kinds: VecDeque::with_capacity(max_entries),
            probabilities: VecDeque::with_capacity(max_entries * num_labels),
        }
    }

    /// Entries a history keeps.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Entries a song timeline keeps.
    pub fn max_song_entries(&self) -> usize {
        self.max_song_entries
    }

    /// Whether the timeline follows the song.
    pub fn follows_song(&self) -> bool {
        self.follows_song
    }

    /// Switches between following the song and a history; a switch clears
    /// the timeline (the two have different time axes).
    pub fn set_follows_song(&mut self, follows_song: bool) {
        if self.follows_song != follows_song {
            self.clear();
            self.follows_song = follows_song;
        }
    }

    /// Appends an entry to a history: `probabilities` for a classified
    /// window (missing labels read as 0), ignored for other kinds.
    pub fn push(&mut self, kind: EntryKind, probabilities: &[f32]) {
        if self.max_entries == 0 {
            self.first += 1;
            return;
        }
        if self.kinds.len() >= self.max_entries {
            self.kinds.pop_front();
            self.probabilities.drain(..self.num_labels);
            self.first += 1;
        }
        self.kinds.push_back(kind);
        self.extend_probabilities(kind, probabilities);
    }

    /// Sets song entry `idx` (see [`Timeline::push`] for `probabilities`);
    /// returns the kind it replaced, or `None` if `idx` is past the song
    /// timeline's end. Allocates when the song timeline grows.
    pub fn set(&mut self, idx: u64, kind: EntryKind, probabilities: &[f32]) -> Option<EntryKind> {
        if idx >= self.max_song_entries as u64 {
            return None;
        }
        if self.kinds.is_empty() {
            self.first = idx;
        }
        while idx < self.first {
            self.kinds.push_front(EntryKind::Empty);
            for _ in 0..self.num_labels {
                self.probabilities.push_front(0.0);
            }
            self.first -= 1;
        }
        let pos = (idx - self.first) as usize;
        while self.kinds.len() <= pos {
            self.kinds.push_back(EntryKind::Empty);
            self.probabilities
                .extend(std::iter::repeat_n(0.0, self.num_labels));
        }
        let replaced = std::mem::replace(&mut self.kinds[pos], kind);
        let start = pos * self.num_labels;
        for (i, slot) in self
            .probabilities
            .range_mut(start..start + self.num_labels)
            .enumerate()
        {
            *slot = match kind {
                EntryKind::Classified => clean(probabilities.get(i).copied()),
                _ => 0.0,
            };
        }
        Some(replaced)
    }

    fn extend_probabilities(&mut self, kind: EntryKind, probabilities: &[f32]) {
        let values = (0..self.num_labels).map(|i| match kind {
            EntryKind::Classified => clean(probabilities.get(i).copied()),
            _ => 0.0,
        });
        self.probabilities.extend(values);
    }

    /// Forgets every entry (the mode stays).
    pub fn clear(&mut self) {
        self.kinds.clear();
        self.probabilities.clear();
        self.first = 0;
    }

    /// Entries kept.
    pub fn num_entries(&self) -> usize {
        self.kinds.len()
    }

    /// See [`Timeline::first`]'s field docs: dropped entries of a history,
    /// the first kept song entry of a song timeline.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The kind and probabilities of kept entry `pos` (0 = first kept).
    pub fn entry(&self, pos: usize) -> Option<(EntryKind, impl Iterator<Item = f32> + '_)> {
        let kind = *self.kinds.get(pos)?;
        let start = pos * self.num_labels;
        Some((
            kind,
            self.probabilities
                .range(start..start + self.num_labels)
                .copied(),
        ))
    }

    /// Calls `f` with the probabilities of every classified entry, in
    /// order, from a scratch buffer of `num_labels` values.
    pub fn for_each_classified(&self, scratch: &mut [f32], mut f: impl FnMut(&[f32])) {
        let scratch = &mut scratch[..self.num_labels];
        for (pos, kind) in self.kinds.iter().enumerate() {
            if *kind == EntryKind::Classified {
                let start = pos * self.num_labels;
                for (s, p) in scratch
                    .iter_mut()
                    .zip(self.probabilities.range(start..start + self.num_labels))
                {
                    *s = *p;
                }
                f(scratch);
            }
        }
    }

    /// Copies the entries as bytes (probability × 255) and kinds into the
    /// given buffers, reusing them.
    pub fn copy_to(&self, bytes: &mut Vec<u8>, kinds: &mut Vec<EntryKind>) {
        bytes.clear();
        bytes.extend(self.probabilities.iter().map(|&p| quantize(p)));
        kinds.clear();
        kinds.extend(self.kinds.iter().copied());
    }

    /// Copies the entries into a saved state's fields, leaving out the
    /// empty song entries at either end.
    pub fn copy_to_state(&self, bytes: &mut Vec<u8>, letters: &mut String) -> u64 {
        let is_kept = |k: &EntryKind| !self.follows_song || *k != EntryKind::Empty;
        let lead = self.kinds.iter().take_while(|k| !is_kept(k)).count();
        let trail = self.kinds.iter().rev().take_while(|k| !is_kept(k)).count();
        let end = self.kinds.len().saturating_sub(trail).max(lead);
        bytes.clear();
        bytes.extend(
            self.probabilities
                .range(lead * self.num_labels..end * self.num_labels)
                .map(|&p| quantize(p)),
        );
        letters.clear();
        letters.extend(self.kinds.range(lead..end).map(|k| k.letter()));
        if lead == end {
            0
        } else {
            self.first + lead as u64
        }
    }

    /// Replaces the contents with saved entries: `bytes` of `num_labels`
    /// each and one kind letter each, the first of them being entry
    /// `first` (see [`Timeline::first`]). A history keeps its newest
    /// entries that fit (counting the rest as dropped). Returns `false`
    /// (and changes nothing) for a malformed timeline.
    pub fn replace(&mut self, follows_song: bool, first: u64, bytes: &[u8], letters: &str) -> bool {
        let kinds: Option<Vec<EntryKind>> = letters.chars().map(EntryKind::from_letter).collect();
        let Some(kinds) = kinds else { return false };
        if bytes.len() != kinds.len() * self.num_labels
            || (follows_song && first + kinds.len() as u64 > self.max_song_entries as u64)
        {
            return false;
        }
        self.follows_song = follows_song;
        let num_skipped = if follows_song {
            0
        } else {
            kinds.len().saturating_sub(self.max_entries)
        };
        self.kinds.clear();
        self.kinds.extend(&kinds[num_skipped..]);
        self.probabilities.clear();
        self.probabilities.extend(
            bytes[num_skipped * self.num_labels..]
                .iter()
                .map(|&b| f32::from(b) / 255.0),
        );
        self.first = first.saturating_add(num_skipped as u64);
        true
    }
}

/// A probability as kept: absent, NaN or negative reads as 0, at most 1.
fn clean(probability: Option<f32>) -> f32 {
    match probability {
        Some(p) if p > 0.0 => p.min(1.0),
        _ => 0.0,
    }
}

/// A kept probability as a byte.
fn quantize(probability: f32) -> u8 {
    (probability * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    use EntryKind::{Classified, Empty, PartlySilent, Silent};

    fn contents(timeline: &Timeline) -> (Vec<u8>, Vec<EntryKind>) {
        let mut out = (vec![9; 3], vec![Silent]);
        timeline.copy_to(&mut out.0, &mut out.1);
        out
    }

    #[test]
    fn a_history_keeps_the_newest_entries_and_counts_the_dropped() {
        let mut timeline = Timeline::new(2, 3, 100);
        timeline.push(Classified, &[1.0, 0.0]);
        timeline.push(Silent, &[0.5, 0.5]);
        assert_eq!(
            contents(&timeline),
            (vec![255, 0, 0, 0], vec![Classified, Silent])
        );
        assert_eq!((timeline.num_entries(), timeline.first()), (2, 0));
        for k in 0..5 {
            let p = k as f32 / 8.0;
            timeline.push(Classified, &[p, 1.0 - p]);
        }
        // Seven entries pushed, three kept: the last three, oldest first.
        assert_eq!(contents(&timeline).0, [64, 191, 96, 159, 128, 128]);
        assert_eq!((timeline.num_entries(), timeline.first()), (3, 4));
        timeline.clear();
        assert_eq!(contents(&timeline), (vec![], vec![]));
        assert_eq!((timeline.num_entries(), timeline.first()), (0, 0));
    }

    #[test]
    fn a_history_never_grows_beyond_its_first_allocation() {
        let mut timeline = Timeline::new(10, 50, 100);
        let capacity = (timeline.kinds.capacity(), timeline.probabilities.capacity());
        for k in 0..1000 {
            timeline.push(Classified, &[k as f32 / 1000.0; 10]);
            assert!(timeline.num_entries() <= 50);
        }
        assert_eq!(
            (timeline.kinds.capacity(), timeline.probabilities.capacity()),
            capacity
        );
        assert_eq!(timeline.first(), 950);
    }

    #[test]
    fn odd_probabilities_are_clamped() {
        let mut timeline = Timeline::new(4, 2, 100);
        timeline.push(Classified, &[f32::NAN, -1.0, 7.0]);
        assert_eq!(contents(&timeline).0, [0, 0, 255, 0]);
        let mut none = Timeline::new(4, 0, 100);
        none.push(Classified, &[0.5; 4]);
        none.push(Silent, &[]);
        assert_eq!((none.num_entries(), none.first()), (0, 2));
    }

    #[test]
    fn song_entries_are_replaced_not_appended() {
        let mut timeline = Timeline::new(2, 3, 10);
        timeline.set_follows_song(true);
        assert_eq!(timeline.set(4, Classified, &[1.0, 0.0]), Some(Empty));
        assert_eq!(timeline.set(2, Silent, &[1.0, 0.0]), Some(Empty));
        // Growing towards the front and the back fills the gaps with Empty.
        assert_eq!(timeline.first(), 2);
        assert_eq!(contents(&timeline).1, [Silent, Empty, Classified]);
        // Replaying entry 4 replaces it.
        assert_eq!(timeline.set(4, PartlySilent, &[0.5, 0.5]), Some(Classified));
        assert_eq!(timeline.set(4, Classified, &[0.0, 1.0]), Some(PartlySilent));
        assert_eq!(contents(&timeline).0, [0, 0, 0, 0, 0, 255]);
        // More entries than a history keeps, and nothing past the song's end.
        for idx in 0..10 {
            timeline.set(idx, Classified, &[0.5, 0.5]);
        }
        assert_eq!(timeline.set(10, Classified, &[0.5, 0.5]), None);
        assert_eq!((timeline.first(), timeline.num_entries()), (0, 10));
        let mut sum = 0.0;
        timeline.for_each_classified(&mut [0.0; 2], |p| sum += p[0]);
        assert_eq!(sum, 5.0);
        // Back to a history: cleared.
        timeline.set_follows_song(false);
        assert_eq!(timeline.num_entries(), 0);
    }

    #[test]
    fn saved_entries_round_trip() {
        let mut song = Timeline::new(2, 3, 10);
        song.set_follows_song(true);
        song.set(3, Classified, &[0.2, 0.8]);
        song.set(5, Silent, &[]);
        song.set(7, Empty, &[]);
        let (mut bytes, mut letters) = (Vec::new(), String::new());
        let first = song.copy_to_state(&mut bytes, &mut letters);
        // The trailing empty entry is left out.
        assert_eq!((first, letters.as_str()), (3, "c.s"));
        assert_eq!(bytes, [51, 204, 0, 0, 0, 0]);
        let mut again = Timeline::new(2, 3, 10);
        assert!(again.replace(true, first, &bytes, &letters));
        assert!(again.follows_song());
        let (mut bytes_again, mut letters_again) = (Vec::new(), String::new());
        assert_eq!(again.copy_to_state(&mut bytes_again, &mut letters_again), 3);
        assert_eq!(
            (bytes_again, letters_again),
            (bytes.clone(), letters.clone())
        );

        // A history keeps the newest entries that fit.
        let mut history = Timeline::new(1, 2, 10);
        assert!(history.replace(false, 10, &[1, 2, 3], "ccc"));
        assert_eq!(contents(&history).0, [2, 3]);
        assert_eq!(history.first(), 11);
        history.push(Classified, &[1.0]);
        assert_eq!(contents(&history).0, [3, 255]);
        assert_eq!(history.first(), 12);

        // Malformed: wrong lengths, unknown letters, past the song's end.
        assert!(!history.replace(false, 0, &[1, 2], "c"));
        assert!(!history.replace(false, 0, &[1], "x"));
        assert!(!history.replace(true, 9, &[1, 2], "cc"));
        assert_eq!(contents(&history).0, [3, 255]);
    }
}
