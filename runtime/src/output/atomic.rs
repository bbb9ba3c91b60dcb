//! Writing a file so that it is either complete or absent: the bytes go to
//! a temporary file beside the destination, are flushed to the disk, and
//! the temporary is renamed over the destination. A reader (or a run that
//! is interrupted) never sees half a file, and a failure removes the
//! temporary and leaves any older file of that name in place.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A blake3 digest, shown as 64 lowercase hexadecimal digits.
///
/// blake3 because it is fast enough to hash every output file as it is
/// written (several GB/s on one core), so the manifest costs no extra pass.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Digest(blake3::Hash);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(blake3::hash(bytes))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.to_hex().as_str())
    }
}

/// The stream a file is written through: buffered, and hashed on the way,
/// so the digest is of exactly the bytes that reach the file.
pub(crate) struct Sink {
    file: BufWriter<File>,
    hasher: blake3::Hasher,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Removes the temporary file unless it was renamed into place, also when
/// the writer returns early or panics.
struct Temporary {
    path: PathBuf,
    committed: bool,
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.committed {
            // The write has already failed; a temporary that cannot be
            // removed either is not worth a second error.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `path` through `write` atomically and returns the digest of its
/// contents.
pub(crate) fn write_with(
    path: &Path,
    write: impl FnOnce(&mut Sink) -> io::Result<()>,
) -> io::Result<Digest> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hidden and tagged with the process id, so that two processes writing
    // into one directory do not share a temporary.
    let mut temporary = Temporary {
        path: dir.join(format!(".{name}.{}.tmp", std::process::id())),
        committed: false,
    };
    let mut sink = Sink {
        file: BufWriter::new(File::create(&temporary.path)?),
        hasher: blake3::Hasher::new(),
    };
    write(&mut sink)?;
    let digest = Digest(sink.hasher.finalize());
    let file = sink
        .file
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary.path, path)?;
    temporary.committed = true;
    Ok(digest)
}

/// Writes a file atomically: to a temporary file beside it, flushed to the
/// disk, then renamed over it, so a reader never sees half a file and a
/// failure leaves the old one in place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_with(path, |sink| sink.write_all(contents)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::test_dir;

    #[test]
    fn digest_is_blake3_in_hex() {
        // The blake3 test vector for the empty input.
        assert_eq!(
            Digest::of(b"").to_string(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn writes_and_replaces_and_hashes_what_it_wrote() {
        let dir = test_dir("atomic");
        let path = dir.join("a.txt");
        write_atomically(&path, b"old").unwrap();
        let digest = write_with(&path, |sink| sink.write_all(b"new contents")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert_eq!(digest, Digest::of(b"new contents"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn a_failing_writer_leaves_the_old_file_and_no_temporary() {
        let dir = test_dir("atomic-fail");
        let path = dir.join("a.txt");
        write_atomically(&path, b"old").unwrap();
        let result = write_with(&path, |sink| {
            sink.write_all(b"half")?;
            Err(io::Error::other("disk on fire"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }
}
