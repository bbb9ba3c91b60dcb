//! Reading a chip image from a file.

use neurc_backends::chip::image::{ImageError, decode};
use neurc_ir::chip::ChipProgram;
use std::path::{Path, PathBuf};

/// Why an image file cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a valid image of this neurc's format.
    #[error("{}: {source}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: ImageError,
    },
}

/// The checked program in the image file at `path`.
pub fn load(path: &Path) -> Result<ChipProgram, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes(path, &bytes)
}

/// The checked program in `bytes`, read from the image file at `path`
/// (which the error names): for a caller that needs the bytes too, e.g.
/// to hash them, without reading the file twice.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<ChipProgram, LoadError> {
    decode(bytes).map_err(|source| LoadError::Image {
        path: path.to_path_buf(),
        source,
    })
}
