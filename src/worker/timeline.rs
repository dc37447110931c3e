//! The bounded timeline: one entry per analysed window, oldest first.
//!
//! An entry is one byte per label (probability × 255); a silent or failed
//! window is an all-zero entry. Once [`Timeline`] holds its maximum, every
//! new entry drops the oldest: the ring allocates once, in
//! [`Timeline::new`], and dropping costs one entry's bytes, not a shift of
//! the whole history.

use std::collections::VecDeque;

/// A fixed-capacity ring of timeline entries. See the module docs.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Entries back to back, oldest first; capacity `max_entries × num_labels`.
    bytes: VecDeque<u8>,
    /// Bytes per entry: the model's label count.
    num_labels: usize,
    /// Entries kept at most.
    max_entries: usize,
    /// Entries dropped from the front since the last [`Timeline::clear`].
    num_dropped: u64,
}

impl Timeline {
    /// An empty timeline of at most `max_entries` entries of `num_labels`
    /// bytes. Allocates all of it.
    pub fn new(num_labels: usize, max_entries: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(max_entries * num_labels),
            num_labels,
            max_entries,
            num_dropped: 0,
        }
    }

    /// Appends a classified window: one probability per label (missing
    /// labels read as 0, extra values are ignored).
    pub fn push(&mut self, probabilities: &[f32]) {
        if self.make_room() {
            let bytes = (0..self.num_labels).map(|i| quantize(probabilities.get(i).copied()));
            self.bytes.extend(bytes);
        }
    }

    /// Appends a window that was not classified (silent, or the model failed).
    pub fn push_empty(&mut self) {
        if self.make_room() {
            self.bytes.extend(std::iter::repeat_n(0, self.num_labels));
        }
    }

    /// Drops the oldest entry if the ring is full. Returns `false` if no
    /// entry fits at all (a zero maximum): the new entry counts as dropped.
    fn make_room(&mut self) -> bool {
        if self.max_entries == 0 {
            self.num_dropped += 1;
            return false;
        }
        if self.num_entries() >= self.max_entries {
            self.bytes.drain(..self.num_labels);
            self.num_dropped += 1;
        }
        true
    }

    /// Forgets every entry and the dropped count.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.num_dropped = 0;
    }

    /// Entries kept.
    pub fn num_entries(&self) -> usize {
        self.bytes.len() / self.num_labels.max(1)
    }

    /// Entries dropped from the front since the last clear.
    pub fn num_dropped(&self) -> u64 {
        self.num_dropped
    }

    /// Copies the entries, oldest first, into `out` (reusing its buffer).
    pub fn copy_to(&self, out: &mut Vec<u8>) {
        let (front, back) = self.bytes.as_slices();
        out.clear();
        out.extend_from_slice(front);
        out.extend_from_slice(back);
    }

    /// Replaces the contents with `bytes` (whole entries, oldest first) of
    /// which `num_dropped` earlier entries were already dropped. Keeps the
    /// newest entries that fit (counting the rest as dropped) and ignores a
    /// trailing partial entry.
    pub fn replace(&mut self, bytes: &[u8], num_dropped: u64) {
        let num_labels = self.num_labels.max(1);
        let num_entries = bytes.len() / num_labels;
        let num_skipped = num_entries.saturating_sub(self.max_entries);
        self.bytes.clear();
        self.bytes
            .extend(&bytes[num_skipped * num_labels..num_entries * num_labels]);
        self.num_dropped = num_dropped.saturating_add(num_skipped as u64);
    }
}

/// A probability as a timeline byte (absent or NaN reads as 0).
fn quantize(probability: Option<f32>) -> u8 {
    match probability {
        Some(p) if p > 0.0 => (p.min(1.0) * 255.0).round() as u8,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(timeline: &Timeline) -> Vec<u8> {
        let mut out = vec![9; 3];
        timeline.copy_to(&mut out);
        out
    }

    #[test]
    fn keeps_the_newest_entries_and_counts_the_dropped() {
        let mut timeline = Timeline::new(2, 3);
        timeline.push(&[1.0, 0.0]);
        timeline.push_empty();
        assert_eq!(contents(&timeline), [255, 0, 0, 0]);
        assert_eq!((timeline.num_entries(), timeline.num_dropped()), (2, 0));
        for k in 0..5 {
            let p = k as f32 / 8.0;
            timeline.push(&[p, 1.0 - p]);
        }
        // Seven entries pushed, three kept: the last three, oldest first.
        assert_eq!(contents(&timeline), [64, 191, 96, 159, 128, 128]);
        assert_eq!((timeline.num_entries(), timeline.num_dropped()), (3, 4));
        timeline.clear();
        assert!(contents(&timeline).is_empty());
        assert_eq!((timeline.num_entries(), timeline.num_dropped()), (0, 0));
    }

    #[test]
    fn never_grows_beyond_its_first_allocation() {
        let mut timeline = Timeline::new(10, 50);
        let capacity = timeline.bytes.capacity();
        for k in 0..1000 {
            timeline.push(&[k as f32 / 1000.0; 10]);
            assert!(timeline.num_entries() <= 50);
        }
        assert_eq!(timeline.bytes.capacity(), capacity);
        assert_eq!(timeline.num_dropped(), 950);
    }

    #[test]
    fn odd_probabilities_are_clamped() {
        let mut timeline = Timeline::new(4, 2);
        timeline.push(&[f32::NAN, -1.0, 7.0]);
        assert_eq!(contents(&timeline), [0, 0, 255, 0]);
        let mut none = Timeline::new(4, 0);
        none.push(&[0.5; 4]);
        none.push_empty();
        assert_eq!((none.num_entries(), none.num_dropped()), (0, 2));
    }

    #[test]
    fn replace_keeps_what_fits() {
        let mut timeline = Timeline::new(2, 2);
        timeline.replace(&[1, 2, 3, 4, 5, 6, 7], 10);
        assert_eq!(contents(&timeline), [3, 4, 5, 6]);
        assert_eq!(timeline.num_dropped(), 11);
        timeline.push(&[1.0, 1.0]);
        assert_eq!(contents(&timeline), [5, 6, 255, 255]);
        assert_eq!(timeline.num_dropped(), 12);
    }
}
