//! Avatar images: checked by their content (never by file name or declared type), decoded
//! with limits, cropped to a centred square, scaled to at most 256×256 and stored as PNG.
//! What is served is always an image keyward encoded itself.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};
use keyward_core::profile::AvatarRefusal;

pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
pub const SIZE: u32 = 256;
/// Larger pictures are refused before decoding, from their header: a 400 KB file can claim
/// 10000×10000 pixels (400 MB decoded).
pub const MAX_SIDE: u32 = 4096;
pub const MAX_PIXELS: u64 = 16_000_000;
/// What the decoder may allocate for one image, whatever its header claims.
const MAX_ALLOC: u64 = 64 * 1024 * 1024;

/// The stored PNG for an uploaded file, or why it is refused.
pub fn process(bytes: &[u8]) -> Result<Vec<u8>, AvatarRefusal> {
    if bytes.is_empty() {
        return Err(AvatarRefusal::Missing);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AvatarRefusal::TooLarge);
    }
    let format = image::guess_format(bytes)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
        .ok_or(AvatarRefusal::NotAnImage)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits.clone());
        reader
    };
    // The header alone first: the dimensions decide before any pixel is decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| AvatarRefusal::Unreadable)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AvatarRefusal::TooManyPixels);
    }
    let img = reader().decode().map_err(|_| AvatarRefusal::Unreadable)?;
    let side = img.width().min(img.height());
    let square = img.crop_imm(
        (img.width() - side) / 2,
        (img.height() - side) / 2,
        side,
        side,
    );
    let scaled = if side > SIZE {
        square.resize_exact(SIZE, SIZE, FilterType::Lanczos3)
    } else {
        square
    };
    let mut png = Vec::new();
    scaled
        .to_rgba8()
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| AvatarRefusal::Unreadable)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn encoded(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn scales_and_crops_each_format_to_a_square_png() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let png = process(&encoded(640, 400, format)).unwrap();
            let out = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
            assert_eq!((out.width(), out.height()), (SIZE, SIZE), "{format:?}");
        }
        // Small pictures are cropped, not enlarged.
        let out =
            image::load_from_memory(&process(&encoded(40, 90, ImageFormat::Png)).unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (40, 40));
    }

    #[test]
    fn refuses_by_content() {
        let err = |bytes: &[u8]| process(bytes).unwrap_err();
        assert_eq!(err(b""), AvatarRefusal::Missing);
        assert_eq!(err(b"GIF89a fake"), AvatarRefusal::NotAnImage);
        assert_eq!(
            err(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            AvatarRefusal::NotAnImage
        );
        // A PNG signature with nothing behind it: the right name, the wrong content.
        let mut fake = encoded(8, 8, ImageFormat::Png);
        fake.truncate(20);
        assert_eq!(err(&fake), AvatarRefusal::Unreadable);
        assert_eq!(
            err(&vec![0u8; MAX_UPLOAD_BYTES + 1]),
            AvatarRefusal::TooLarge
        );
    }

    /// A real PNG whose header is rewritten to claim other dimensions (with its checksum
    /// fixed, so only the size can be the reason for a refusal).
    fn claiming(w: u32, h: u32) -> Vec<u8> {
        let mut png = encoded(16, 16, ImageFormat::Png);
        // Signature (8), chunk length (4), "IHDR" (4), then width and height.
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn refuses_claimed_dimensions_before_decoding() {
        let bomb = claiming(10_000, 10_000);
        assert!(bomb.len() < 400_000);
        assert_eq!(process(&bomb), Err(AvatarRefusal::TooManyPixels));
        assert_eq!(
            process(&claiming(4097, 8)),
            Err(AvatarRefusal::TooManyPixels)
        );
        assert_eq!(
            process(&claiming(8, 4097)),
            Err(AvatarRefusal::TooManyPixels)
        );
        // Within each side, but over 16 megapixels.
        assert_eq!(
            process(&claiming(4096, 4000)),
            Err(AvatarRefusal::TooManyPixels)
        );
        // Within every limit, the same forged header is read and found short of pixels.
        assert_eq!(
            process(&claiming(4000, 4000)),
            Err(AvatarRefusal::Unreadable)
        );
    }
}
