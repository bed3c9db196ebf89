//! Image-to-text models in the Hugging Face Optimum layout through ONNX Runtime, the
//! Pix2Struct family first (DePlot, MatCha, ChartPaLI-style chart models).

pub mod header;
pub mod patches;
pub mod resample;

use image::{DynamicImage, RgbImage};

/// RGB as the reference's `convert("RGB")` makes it: any alpha channel is dropped (not
/// composed over white), grey is repeated in the three channels.
pub fn to_rgb(img: &DynamicImage) -> RgbImage {
    img.to_rgb8()
}
