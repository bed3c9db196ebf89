//! The two image resamplers Pix2Struct's reference preprocessing uses, reimplemented so that
//! evalkit's patches match it:
//! - [`pil_bicubic`]: Pillow's `Image.resize` default (bicubic, `a = -0.5`) on 8-bit RGB,
//!   with Pillow's fixed-point arithmetic (22-bit coefficients, 8-bit intermediate), so the
//!   result is the same bytes Pillow produces. The VQA header step resizes with it.
//! - [`aa_bilinear`]: PyTorch's `interpolate(mode="bilinear", antialias=True,
//!   align_corners=False)` on float planes, the resize before patch extraction.
//!
//! Both are separable filters with the same window rule (Pillow's, which PyTorch's
//! antialiased kernels copy): output pixel `i` is centred on `(i + 0.5) * scale` in the input
//! and reads the input pixels within `support * max(scale, 1)` of it, weighted by the filter
//! stretched by `max(scale, 1)` and normalised to sum to 1.

use image::RgbImage;

/// The input window and normalised weights of every output pixel along one axis.
struct Taps {
    start: Vec<usize>,
    weights: Vec<Vec<f64>>,
}

fn taps(in_size: usize, out_size: usize, support: f64, filter: fn(f64) -> f64) -> Taps {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = support * filter_scale;
    let inv = 1.0 / filter_scale;
    let mut start = Vec::with_capacity(out_size);
    let mut weights = Vec::with_capacity(out_size);
    for i in 0..out_size {
        let center = (i as f64 + 0.5) * scale;
        // C casts truncate toward zero; both references clamp to the image afterwards.
        let lo = ((center - support + 0.5) as i64).max(0) as usize;
        let hi = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let mut w: Vec<f64> = (lo..hi)
            .map(|x| filter((x as f64 - center + 0.5) * inv))
            .collect();
        let total: f64 = w.iter().sum();
        if total != 0.0 {
            w.iter_mut().for_each(|v| *v /= total);
        }
        start.push(lo);
        weights.push(w);
    }
    Taps { start, weights }
}

fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

fn triangle(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

/// Pillow's 8-bit coefficient precision.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Weights as Pillow's fixed-point integers.
fn fixed(weights: &[Vec<f64>]) -> Vec<Vec<i32>> {
    let one = (1u32 << PRECISION_BITS) as f64;
    weights
        .iter()
        .map(|w| {
            w.iter()
                .map(|&k| {
                    if k < 0.0 {
                        (-0.5 + k * one) as i32
                    } else {
                        (0.5 + k * one) as i32
                    }
                })
                .collect()
        })
        .collect()
}

fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize((width, height))` of an RGB image (default bicubic filter).
pub fn pil_bicubic(src: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (w0, h0) = (src.width() as usize, src.height() as usize);
    let (w1, h1) = (width.max(1) as usize, height.max(1) as usize);
    if (w0, h0) == (w1, h1) {
        return src.clone();
    }
    let mut cur: Vec<u8> = src.as_raw().clone();
    let mut cur_w = w0;
    if w1 != w0 {
        let t = taps(w0, w1, 2.0, bicubic);
        let k = fixed(&t.weights);
        let mut out = vec![0u8; w1 * h0 * 3];
        for (row, dst) in cur.chunks_exact(w0 * 3).zip(out.chunks_exact_mut(w1 * 3)) {
            for (x, px) in dst.chunks_exact_mut(3).enumerate() {
                let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
                let src = &row[t.start[x] * 3..][..k[x].len() * 3];
                for (&kk, s) in k[x].iter().zip(src.chunks_exact(3)) {
                    for c in 0..3 {
                        acc[c] = acc[c].wrapping_add(s[c] as i32 * kk);
                    }
                }
                for c in 0..3 {
                    px[c] = clip8(acc[c]);
                }
            }
        }
        cur = out;
        cur_w = w1;
    }
    if h1 != h0 {
        let t = taps(h0, h1, 2.0, bicubic);
        let k = fixed(&t.weights);
        let stride = cur_w * 3;
        let mut out = vec![0u8; cur_w * h1 * 3];
        let mut acc = vec![0i32; stride];
        for (y, dst) in out.chunks_exact_mut(stride).enumerate() {
            acc.fill(1 << (PRECISION_BITS - 1));
            for (j, &kk) in k[y].iter().enumerate() {
                let src = &cur[(t.start[y] + j) * stride..][..stride];
                for (a, &v) in acc.iter_mut().zip(src) {
                    *a = a.wrapping_add(v as i32 * kk);
                }
            }
            for (d, &a) in dst.iter_mut().zip(&acc) {
                *d = clip8(a);
            }
        }
        cur = out;
    }
    RgbImage::from_raw(w1 as u32, h1 as u32, cur).unwrap_or_else(|| RgbImage::new(1, 1))
}

/// PyTorch's antialiased bilinear resize of an interleaved float image (`channels` values
/// per pixel, rows of `width`), width first, then height.
pub fn aa_bilinear(
    src: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    out_width: usize,
    out_height: usize,
) -> Vec<f32> {
    let horizontal = taps(width, out_width, 1.0, triangle);
    let hw: Vec<Vec<f32>> = horizontal
        .weights
        .iter()
        .map(|w| w.iter().map(|&v| v as f32).collect())
        .collect();
    let mut tmp = vec![0f32; out_width * height * channels];
    for (row, out) in src
        .chunks_exact(width * channels)
        .zip(tmp.chunks_exact_mut(out_width * channels))
    {
        for (x, px) in out.chunks_exact_mut(channels).enumerate() {
            let s = &row[horizontal.start[x] * channels..][..hw[x].len() * channels];
            for (&w, v) in hw[x].iter().zip(s.chunks_exact(channels)) {
                for (p, &v) in px.iter_mut().zip(v) {
                    *p += v * w;
                }
            }
        }
    }
    let vertical = taps(height, out_height, 1.0, triangle);
    let stride = out_width * channels;
    let mut out = vec![0f32; out_height * stride];
    for y in 0..out_height {
        let s = vertical.start[y];
        let dst = &mut out[y * stride..][..stride];
        for (j, &w) in vertical.weights[y].iter().enumerate() {
            let w = w as f32;
            let row = &tmp[(s + j) * stride..][..stride];
            for (d, &v) in dst.iter_mut().zip(row) {
                *d += v * w;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sizes_copy() {
        let img = RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
        assert_eq!(pil_bicubic(&img, 5, 3), img);
        let plane: Vec<f32> = (0..15).map(|v| v as f32).collect();
        assert_eq!(aa_bilinear(&plane, 5, 3, 1, 5, 3), plane);
    }

    #[test]
    fn halving_averages_pairs_like_torch() {
        // Downscaling by 2 stretches the triangle to a support of 2 input pixels each side.
        let row = [0f32, 4.0, 8.0, 12.0];
        let out = aa_bilinear(&row, 4, 1, 1, 2, 1);
        // Output 0: centre 1.0, support 2: inputs 0..3 with weights tri((x-0.5)/2):
        // x=0: 0.75, x=1: 0.75, x=2: 0.25 -> (0*0.75 + 4*0.75 + 8*0.25) / 1.75.
        assert!((out[0] - 5.0 / 1.75).abs() < 1e-6, "{out:?}");
        // Output 1: centre 3.0: inputs 1..4: x=1: 0.25, x=2: 0.75, x=3: 0.75.
        assert!((out[1] - (4.0 * 0.25 + 8.0 * 0.75 + 12.0 * 0.75) / 1.75).abs() < 1e-6);
    }

    #[test]
    fn upscaling_is_plain_bilinear() {
        let row = [0f32, 10.0];
        let out = aa_bilinear(&row, 2, 1, 1, 4, 1);
        // Half-pixel centres: 0.25, 0.75, 1.25, 1.75 -> source -0.25 (clamped), 0.25, 0.75, 1.25.
        assert_eq!(out, vec![0.0, 2.5, 7.5, 10.0]);
    }

    #[test]
    fn bicubic_keeps_flat_colours_and_clamps() {
        let flat = RgbImage::from_pixel(7, 4, image::Rgb([200, 10, 128]));
        let up = pil_bicubic(&flat, 20, 9);
        assert!(up.pixels().all(|p| p.0 == [200, 10, 128]));
        // A hard edge overshoots in floating point; the 8-bit result is clamped.
        let edge = RgbImage::from_fn(4, 1, |x, _| image::Rgb([if x < 2 { 0 } else { 255 }; 3]));
        let up = pil_bicubic(&edge, 16, 1);
        let v: Vec<u8> = up.pixels().map(|p| p[0]).collect();
        assert_eq!(v[0], 0);
        assert_eq!(v[15], 255);
        assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
    }
}
