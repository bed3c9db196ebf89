//! N samples of one request: the same messages at a temperature, each with its own seed
//! and sample index, so they are N distinct requests (N cache entries, N journal calls)
//! and a re-run asks for exactly the same N.

use crate::adapter::{Request, Sampling};

/// The default temperature of sampling strategies (best-of-N, self-consistency).
pub const DEFAULT_TEMPERATURE: f32 = 0.7;

/// `n` copies of `request` with sample indexes and seeds 0..n at `temperature`.
pub fn samples(request: &Request, n: u32, temperature: f32, top_p: Option<f32>) -> Vec<Request> {
    (0..n)
        .map(|i| {
            request.clone().with_sampling(Sampling {
                temperature: Some(temperature),
                top_p,
                seed: Some(u64::from(i)),
                sample: i,
                ..request.sampling.clone()
            })
        })
        .collect()
}
