//! Pix2Struct's input: an RGB image standardised by its own mean and standard deviation,
//! resized (aspect ratio kept) to the largest grid of `patch` x `patch` squares that fits in
//! `max_patches`, cut into those squares, and flattened. Each patch becomes one row of
//! `2 + patch_h * patch_w * 3` features: its 1-based row and column, then its pixels in
//! (row, column, channel) order. Rows past the grid are zero, and the attention mask is 1 for
//! the grid's patches only. This is `Pix2StructImageProcessor` (normalise, then
//! `extract_flattened_patches`), step for step.

use image::RgbImage;

use super::resample;

/// The patch geometry (`preprocessor_config.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchSpec {
    pub max_patches: usize,
    pub patch_height: usize,
    pub patch_width: usize,
}

impl PatchSpec {
    /// Features per patch: row id, column id, then the pixels.
    pub fn features(&self) -> usize {
        2 + self.patch_height * self.patch_width * 3
    }

    /// Values of one image's patch matrix.
    pub fn values(&self) -> usize {
        self.max_patches * self.features()
    }

    /// The grid an image of this size is resized to: (rows, columns).
    pub fn grid(&self, width: usize, height: usize) -> (usize, usize) {
        let (ph, pw) = (self.patch_height as f64, self.patch_width as f64);
        let (h, w) = (height as f64, width as f64);
        let scale = (self.max_patches as f64 * (ph / h) * (pw / w)).sqrt();
        let rows = ((scale * h / ph).floor() as usize).clamp(1, self.max_patches);
        let cols = ((scale * w / pw).floor() as usize).clamp(1, self.max_patches);
        (rows, cols)
    }
}

/// One image's patches: `max_patches x features` values and how many rows are real.
#[derive(Clone, Debug, PartialEq)]
pub struct Patches {
    pub values: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
}

impl Patches {
    /// Patches that hold the image (the attention mask's ones).
    pub fn used(&self) -> usize {
        self.rows * self.cols
    }
}

/// Standardises the image (mean and population standard deviation over every value; the
/// deviation is at least `1 / sqrt(values)`, as TensorFlow's `per_image_standardization`),
/// returning interleaved RGB floats.
pub fn standardise(img: &RgbImage) -> Vec<f32> {
    let raw = img.as_raw();
    let n = raw.len().max(1) as f64;
    let mut hist = [0u64; 256];
    for &v in raw {
        hist[v as usize] += 1;
    }
    let mean = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| v as f64 * c as f64)
        .sum::<f64>()
        / n;
    let var = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| (v as f64 - mean).powi(2) * c as f64)
        .sum::<f64>()
        / n;
    let std = var.sqrt().max(1.0 / n.sqrt());
    let lut: Vec<f32> = (0..256)
        .map(|v| ((v as f32) - mean as f32) / std as f32)
        .collect();
    raw.iter().map(|&v| lut[v as usize]).collect()
}

/// The flattened patches of an RGB image (after any header was drawn on it).
pub fn extract(img: &RgbImage, spec: &PatchSpec) -> Patches {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let normalised = standardise(img);
    let (rows, cols) = spec.grid(width, height);
    let (ph, pw) = (spec.patch_height, spec.patch_width);
    let (rh, rw) = (rows * ph, cols * pw);
    let resized = resample::aa_bilinear(&normalised, width, height, 3, rw, rh);
    let features = spec.features();
    let mut values = vec![0f32; spec.values()];
    for r in 0..rows {
        for c in 0..cols {
            let row = &mut values[(r * cols + c) * features..][..features];
            row[0] = (r + 1) as f32;
            row[1] = (c + 1) as f32;
            let mut k = 2;
            for y in 0..ph {
                let src = &resized[((r * ph + y) * rw + c * pw) * 3..][..pw * 3];
                row[k..k + pw * 3].copy_from_slice(src);
                k += pw * 3;
            }
        }
    }
    Patches { values, rows, cols }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: PatchSpec = PatchSpec {
        max_patches: 256,
        patch_height: 16,
        patch_width: 16,
    };

    #[test]
    fn grid_keeps_the_aspect_ratio_within_max_patches() {
        // scale = sqrt(256 * 16/240 * 16/320) = 0.9238: rows floor(13.86) = 13, cols 18.
        assert_eq!(SPEC.grid(320, 240), (13, 18));
        assert_eq!(SPEC.grid(180, 300), (20, 12));
        assert_eq!(SPEC.grid(900, 260), (8, 29));
        // Extreme shapes keep at least one row or column.
        assert_eq!(SPEC.grid(10_000, 2), (1, 256));
        for (w, h) in [(1, 1), (5000, 3000), (17, 999)] {
            let (r, c) = SPEC.grid(w, h);
            assert!(r * c <= 256 && r >= 1 && c >= 1);
        }
    }

    #[test]
    fn standardise_matches_hand_computation() {
        // Values 0 and 255 in equal numbers: mean 127.5, std 127.5 -> -1 and 1.
        let img = RgbImage::from_fn(2, 1, |x, _| image::Rgb([if x == 0 { 0 } else { 255 }; 3]));
        assert_eq!(standardise(&img), vec![-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]);
        // A flat image: std 0 -> 1/sqrt(12) floor; all values 0.
        let flat = RgbImage::from_pixel(2, 2, image::Rgb([9, 9, 9]));
        assert!(standardise(&flat).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn patches_carry_ids_pixels_in_order_and_zero_padding() {
        let spec = PatchSpec {
            max_patches: 4,
            patch_height: 2,
            patch_width: 2,
        };
        // 4x4 image -> scale sqrt(4 * 2/4 * 2/4) = 1: a 2x2 grid, no resizing.
        let img = RgbImage::from_fn(4, 4, |x, y| image::Rgb([(y * 4 + x) as u8, 0, 0]));
        let p = extract(&img, &spec);
        assert_eq!((p.rows, p.cols, p.used()), (2, 2, 4));
        let norm = standardise(&img);
        let f = spec.features();
        // Patch (row 2, col 1) = pixels (x 0..2, y 2..4), row by row, RGB interleaved.
        let patch = &p.values[2 * f..3 * f];
        assert_eq!(&patch[..2], &[2.0, 1.0]);
        let px = |x: usize, y: usize| &norm[(y * 4 + x) * 3..][..3];
        let want: Vec<f32> = [px(0, 2), px(1, 2), px(0, 3), px(1, 3)].concat();
        assert_eq!(&patch[2..], &want[..]);
        // A 6x2 image: scale sqrt(4 * 2/2 * 2/6) = 1.155 -> 1 row of 3 patches, and the
        // fourth row is zero (masked out).
        let wide = RgbImage::from_fn(6, 2, |x, _| image::Rgb([x as u8 * 30, 1, 2]));
        let p = extract(&wide, &spec);
        assert_eq!((p.rows, p.cols, p.used()), (1, 3, 3));
        assert_eq!(&p.values[2 * f..][..2], &[1.0, 3.0]);
        assert!(p.values[3 * f..].iter().all(|&v| v == 0.0));
    }
}
