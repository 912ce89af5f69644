//! Where key and certificate text comes from (given, or a `file://` path),
//! and the PEM and bare-base64 decoding shared by every loader.

use std::{ops::Deref, path::Path};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use zeroize::Zeroizing;

use super::CryptoError;

/// Key text: borrowed from the caller, or read from a file and wiped on drop.
pub(crate) enum Source<'a> {
    Given(&'a str),
    File(Zeroizing<String>),
}

impl Deref for Source<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Source::Given(text) => text,
            Source::File(text) => text,
        }
    }
}

/// Reads a `file://` source, or passes text through untouched.
pub(crate) fn read_source(source: &str) -> Result<Source<'_>, CryptoError> {
    match source.strip_prefix("file://") {
        Some(path) => read_file(Path::new(path)).map(Source::File),
        None => Ok(Source::Given(source)),
    }
}

/// Reads a text file, wiping every copy of its bytes on drop.
pub(crate) fn read_file(path: &Path) -> Result<Zeroizing<String>, CryptoError> {
    let bytes = std::fs::read(path).map_err(|source| CryptoError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            let source = e.utf8_error();
            drop(Zeroizing::new(e.into_bytes()));
            Err(CryptoError::FileNotText {
                path: path.to_path_buf(),
                source,
            })
        }
    }
}

/// Decodes PHP's bare base64 after `{scheme}://`.
pub(crate) fn decode_bare(
    b64: &str,
    scheme: &'static str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let compact: Zeroizing<String> = Zeroizing::new(b64.split_whitespace().collect());
    STANDARD
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::InvalidBareKey { scheme })
}

/// Decodes one PEM block: its label and DER.
pub(crate) fn decode_pem(
    text: &str,
    expected: &'static str,
) -> Result<(String, Zeroizing<Vec<u8>>), CryptoError> {
    pem_rfc7468::decode_vec(text.trim().as_bytes())
        .map(|(label, der)| (label.to_string(), Zeroizing::new(der)))
        .map_err(|source| CryptoError::InvalidPem { expected, source })
}

/// The error for a PEM whose label is none of the expected ones.
pub(crate) fn unexpected_label(expected: &'static str, found: &str) -> CryptoError {
    CryptoError::UnexpectedPemLabel {
        expected,
        found: found.to_string(),
    }
}
