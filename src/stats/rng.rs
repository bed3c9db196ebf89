//! The bootstrap's random numbers: SplitMix64 (Steele, Lea and Flood 2014), written here
//! rather than taken from a crate so that a seed gives the same resamples, and so
//! byte-identical reports, on every platform and in every evalkit version. `synth` keeps
//! its own copy for the same reason (chart generation must not change when this does).

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator for one named comparison: the seed mixed with the label's BLAKE3, so
    /// adding a category or a run does not change the draws of the others.
    pub fn for_label(seed: u64, label: &str) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&seed.to_le_bytes());
        hasher.update(label.as_bytes());
        let bytes = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes.as_bytes()[..8]);
        SplitMix64::new(u64::from_le_bytes(first))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (`n > 0`), by the multiply-shift method (bias below
    /// n / 2^64, far beneath anything a bootstrap can see).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // The first outputs for seed 1234567 from the reference C implementation
        // (prng.di.unimi.it/splitmix64.c).
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn indices_stay_in_range_and_labels_change_the_stream() {
        let mut rng = SplitMix64::new(0);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        let a = SplitMix64::for_label(0, "overall").next_u64();
        let b = SplitMix64::for_label(0, "split=human").next_u64();
        assert_ne!(a, b);
        assert_eq!(a, SplitMix64::for_label(0, "overall").next_u64());
    }
}
