//! A small seeded RNG of our own.
//!
//! The corpus must be bit-for-bit reproducible from `--seed`, across platforms
//! and dependency upgrades, so we do not use `rand`'s `StdRng` (whose algorithm
//! may change between versions): SplitMix64 seeding plus xoshiro256** is tiny,
//! fast and fully specified.

/// Deterministic pseudo-random generator (xoshiro256**).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives a 64-bit seed from a base seed and a list of tags (FNV-1a over the
/// tags, then mixed), so every song/stage gets an independent stream that does
/// not shift when other songs are added or removed.
pub fn derive_seed(base: u64, tags: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ base;
    for t in tags {
        for b in t.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut x = h ^ base.rotate_left(17);
    splitmix(&mut x)
}

impl Rng {
    /// Creates a generator whose whole stream is a function of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let s = [
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
        ];
        Rng { s }
    }

    /// A child generator for one named sub-task, so that adding a random draw
    /// in one part of a song does not change every other part.
    pub fn fork(&mut self, tag: &str) -> Rng {
        Rng::new(derive_seed(self.next_u64(), &[tag]))
    }

    /// Next raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as i64
    }

    /// Uniform index in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// One element, uniformly.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// One element, with probability proportional to its weight.
    pub fn weighted<'a, T>(&mut self, xs: &'a [(T, f64)]) -> &'a T {
        let total: f64 = xs.iter().map(|x| x.1).sum();
        let mut r = self.f64() * total;
        for (x, w) in xs {
            if r < *w {
                return x;
            }
            r -= w;
        }
        &xs[xs.len() - 1].0
    }

    /// Approximately normal (mean 0, sd 1); sum of uniforms is plenty for
    /// humanisation jitter.
    pub fn normal(&mut self) -> f64 {
        (0..6).map(|_| self.f64()).sum::<f64>() - 3.0
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(derive_seed(1, &["a", "b"]), derive_seed(1, &["ab"]));
    }

    #[test]
    fn chance_is_calibrated() {
        let mut hits = 0;
        for seed in 0..4000u64 {
            let mut r = Rng::new(derive_seed(seed, &["x"]));
            r.range(1.3, 2.0);
            if r.chance(0.12) {
                hits += 1;
            }
        }
        let rate = f64::from(hits) / 4000.0;
        assert!((0.09..0.15).contains(&rate), "rate {rate}");
    }

    #[test]
    fn ranges_hold() {
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let x = r.int(-3, 5);
            assert!((-3..=5).contains(&x));
            let f = r.range(2.0, 3.0);
            assert!((2.0..3.0).contains(&f));
        }
    }
}
