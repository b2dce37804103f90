//! Writing a synthetic tar to a file (native only: the rest of `synth` is
//! pure and also builds for wasm32).

use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use super::SynthTar;

impl SynthTar {
    /// Writes the tar to a file, leaving all-zero layers as holes (sparse).
    pub fn write_to(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let file = std::fs::File::create(path)?;
        let mut w = io::BufWriter::with_capacity(1 << 20, file);
        self.write_stream(&mut w, &mut |w, n| {
            let n = i64::try_from(n).map_err(io::Error::other)?;
            w.seek(SeekFrom::Current(n)).map(|_| ())
        })?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.set_len(self.size())?;
        file.sync_all().ok();
        Ok(())
    }
}
