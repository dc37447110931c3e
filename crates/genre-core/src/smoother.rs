//! From per-window probabilities to what a listener reads: a smoothed "now"
//! estimate and a "track so far" estimate.
//!
//! [`Smoother`] is a one-pole (exponential) average whose time constant is
//! given in seconds, so it behaves the same whatever the hop between windows.
//! [`Accumulator`] is the plain mean of every window since the last reset.
//! Both allocate in `new` only; `push` and `reset` never allocate.

/// Exponentially smoothed probabilities ("now").
#[derive(Debug, Clone, PartialEq)]
pub struct Smoother {
    /// Seconds for the estimate to move 63 % of the way to a new steady input.
    time_constant_s: f64,
    /// The current estimate; all zeros until the first push.
    values: Vec<f32>,
    /// Whether a window has been pushed since the last reset.
    primed: bool,
}

impl Smoother {
    /// A smoother for `num_labels` labels. Allocates.
    pub fn new(num_labels: usize, time_constant_s: f64) -> Self {
        Self {
            time_constant_s: sanitize_time_constant_s(time_constant_s),
            values: vec![0.0; num_labels],
            primed: false,
        }
    }

    /// Changes the time constant; the current estimate is kept.
    pub fn set_time_constant_s(&mut self, time_constant_s: f64) {
        self.time_constant_s = sanitize_time_constant_s(time_constant_s);
    }

    /// The time constant in seconds.
    pub fn time_constant_s(&self) -> f64 {
        self.time_constant_s
    }

    /// Forgets everything; the next push becomes the estimate as is.
    pub fn reset(&mut self) {
        self.values.fill(0.0);
        self.primed = false;
    }

    /// Moves the estimate towards `probabilities`, which arrived `dt_s`
    /// seconds after the previous ones. The first push after a reset is taken
    /// as is, so the display does not fade in from nothing. Non-finite
    /// values are ignored (the estimate is kept); extra or missing labels
    /// are ignored.
    pub fn push(&mut self, probabilities: &[f32], dt_s: f64) {
        if probabilities.len() != self.values.len() || probabilities.iter().any(|p| !p.is_finite())
        {
            return;
        }
        if !self.primed {
            self.values.copy_from_slice(probabilities);
            self.primed = true;
            return;
        }
        let alpha = (1.0 - (-dt_s.max(0.0) / self.time_constant_s).exp()) as f32;
        for (v, &p) in self.values.iter_mut().zip(probabilities) {
            *v += alpha * (p - *v);
        }
    }

    /// Whether anything was pushed since the last reset.
    pub fn is_primed(&self) -> bool {
        self.primed
    }

    /// The current estimate, one value per label (all zeros before the first push).
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Keeps time constants positive and finite so the filter stays stable.
fn sanitize_time_constant_s(time_constant_s: f64) -> f64 {
    if time_constant_s.is_finite() && time_constant_s > 1e-3 {
        time_constant_s
    } else {
        1e-3
    }
}

/// The mean probability per label over all windows since the last reset
/// ("track so far").
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    /// Sum of the probabilities of every window pushed, per label.
    sums: Vec<f64>,
    /// Windows pushed since the last reset.
    num_windows: u64,
}

impl Accumulator {
    /// An empty accumulator for `num_labels` labels. Allocates.
    pub fn new(num_labels: usize) -> Self {
        Self {
            sums: vec![0.0; num_labels],
            num_windows: 0,
        }
    }

    /// Restores an accumulator from its sums and window count (for example
    /// from saved state). Returns `None` if a sum is negative or not finite,
    /// or if there are sums without windows.
    pub fn from_parts(sums: Vec<f64>, num_windows: u64) -> Option<Self> {
        let valid = sums.iter().all(|s| s.is_finite() && *s >= 0.0)
            && (num_windows > 0 || sums.iter().all(|&s| s == 0.0));
        valid.then_some(Self { sums, num_windows })
    }

    /// Forgets every window.
    pub fn reset(&mut self) {
        self.sums.fill(0.0);
        self.num_windows = 0;
    }

    /// Adds one window's probabilities. Windows with the wrong number of
    /// labels or non-finite values are ignored.
    pub fn push(&mut self, probabilities: &[f32]) {
        if probabilities.len() != self.sums.len() || probabilities.iter().any(|p| !p.is_finite()) {
            return;
        }
        for (s, &p) in self.sums.iter_mut().zip(probabilities) {
            *s += f64::from(p);
        }
        self.num_windows += 1;
    }

    /// Windows pushed since the last reset.
    pub fn num_windows(&self) -> u64 {
        self.num_windows
    }

    /// Per-label sums of probabilities.
    pub fn sums(&self) -> &[f64] {
        &self.sums
    }

    /// Writes the mean probability per label into `out` (zeros if no window
    /// was pushed). Only the first `min(out.len(), labels)` values are written.
    pub fn mean_into(&self, out: &mut [f32]) {
        let n = self.num_windows.max(1) as f64;
        for (o, &s) in out.iter_mut().zip(&self.sums) {
            *o = (s / n) as f32;
        }
    }
}

/// Index and value of the largest entry; `None` for an empty slice or if
/// every value is zero or not finite.
pub fn top_label(values: &[f32]) -> Option<(usize, f32)> {
    values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .fold(None, |best, (i, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_push_is_taken_as_is_then_converges() {
        let mut s = Smoother::new(3, 10.0);
        assert!(!s.is_primed());
        s.push(&[1.0, 0.0, 0.0], 1.0);
        assert_eq!(s.values(), &[1.0, 0.0, 0.0]);
        for _ in 0..200 {
            s.push(&[0.0, 1.0, 0.0], 1.0);
        }
        assert!((s.values()[1] - 1.0).abs() < 1e-4, "{:?}", s.values());
    }

    #[test]
    fn time_constant_means_63_percent() {
        for tau_s in [3.0, 10.0, 30.0] {
            let mut s = Smoother::new(2, tau_s);
            s.push(&[1.0, 0.0], 1.0);
            let steps = (tau_s / 0.5) as usize;
            for _ in 0..steps {
                s.push(&[0.0, 1.0], 0.5);
            }
            let moved = s.values()[1];
            let expected = 1.0 - (-1.0f32).exp();
            assert!(
                (moved - expected).abs() < 1e-3,
                "tau {tau_s}: moved {moved}, expected {expected}"
            );
        }
    }

    #[test]
    fn hop_invariance_of_the_smoother() {
        let mut a = Smoother::new(2, 3.0);
        let mut b = Smoother::new(2, 3.0);
        a.push(&[1.0, 0.0], 1.0);
        b.push(&[1.0, 0.0], 1.0);
        for _ in 0..4 {
            a.push(&[0.0, 1.0], 1.0);
        }
        for _ in 0..8 {
            b.push(&[0.0, 1.0], 0.5);
        }
        assert!((a.values()[1] - b.values()[1]).abs() < 1e-5);
    }

    #[test]
    fn bad_input_is_ignored_and_reset_forgets() {
        let mut s = Smoother::new(2, 3.0);
        s.push(&[0.25, 0.75], 1.0);
        s.push(&[f32::NAN, 0.0], 1.0);
        s.push(&[1.0], 1.0);
        assert_eq!(s.values(), &[0.25, 0.75]);
        s.reset();
        assert_eq!(s.values(), &[0.0, 0.0]);
        assert!(!s.is_primed());
        let mut z = Smoother::new(1, f64::NAN);
        z.push(&[1.0], 1.0);
        z.push(&[0.0], 1.0);
        assert!(z.values()[0].is_finite());
    }

    #[test]
    fn accumulator_means_and_restores() {
        let mut acc = Accumulator::new(2);
        let mut mean = [9.0; 2];
        acc.mean_into(&mut mean);
        assert_eq!(mean, [0.0, 0.0]);
        acc.push(&[1.0, 0.0]);
        acc.push(&[0.5, 0.5]);
        acc.push(&[f32::INFINITY, 0.0]);
        acc.mean_into(&mut mean);
        assert_eq!(mean, [0.75, 0.25]);
        assert_eq!(acc.num_windows(), 2);
        let restored = Accumulator::from_parts(acc.sums().to_vec(), acc.num_windows()).unwrap();
        assert_eq!(restored, acc);
        assert!(Accumulator::from_parts(vec![-1.0, 0.0], 1).is_none());
        assert!(Accumulator::from_parts(vec![1.0, 0.0], 0).is_none());
        acc.reset();
        assert_eq!(acc.num_windows(), 0);
        assert_eq!(acc.sums(), &[0.0, 0.0]);
    }

    #[test]
    fn top_label_picks_the_first_maximum() {
        assert_eq!(top_label(&[0.1, 0.6, 0.6, 0.2]), Some((1, 0.6)));
        assert_eq!(top_label(&[]), None);
        assert_eq!(top_label(&[0.0, f32::NAN]), None);
    }
}
