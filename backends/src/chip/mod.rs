//! The chip target: a checked [`ChipProgram`](neurc_ir::chip::ChipProgram)
//! written to and read from an image file ([`image`]), the one artefact
//! the compiler hands to the emulator or a chip's loader.

pub mod image;

pub use image::{IMAGE_VERSION, ImageError, decode, encode};
