//! Where key and certificate text comes from (given, a `file://` path, or a
//! bare path as PHP takes one), and the PEM and bare-base64 decoding shared
//! by every loader.

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

/// Reads a `file://` source or a bare path naming a file, refuses text that
/// looks like a path to nothing, and passes any other text through untouched.
pub(crate) fn read_source(source: &str) -> Result<Source<'_>, CryptoError> {
    if let Some(path) = source.strip_prefix("file://") {
        return read_file(Path::new(path)).map(Source::File);
    }
    match as_path(source) {
        Some(path) if path.is_file() => read_file(path).map(Source::File),
        Some(path) if looks_like_path(source.trim()) => Err(CryptoError::NoFileAtPath {
            path: path.to_path_buf(),
        }),
        _ => Ok(Source::Given(source)),
    }
}

/// The text as a path, when it could be one: a single line that is neither
/// PEM nor one of the `scheme://` forms. Never a key's content: PEM has
/// `-----BEGIN`, PHP's bare base64 a scheme.
fn as_path(source: &str) -> Option<&Path> {
    /// Linux's PATH_MAX: anything longer is not a path to open.
    const LONGEST: usize = 4096;
    let text = source.trim();
    let could_be = !text.is_empty()
        && text.len() <= LONGEST
        && !text.contains('\n')
        && !text.contains("-----BEGIN")
        && !text.contains("://");
    could_be.then(|| Path::new(text))
}

/// Whether text that names no file was surely meant as a path, so that it
/// gets a hint rather than a PEM parser's complaint.
fn looks_like_path(text: &str) -> bool {
    ["/", "./", "../", "~"].iter().any(|p| text.starts_with(p))
        || [".pem", ".key", ".crt", ".cer"]
            .iter()
            .any(|e| text.ends_with(e))
}

/// The largest key or certificate file read: a PEM chain is a few
/// kilobytes.
const MAX_KEY_FILE: u64 = 1 << 20;

/// Reads a text file, wiping every copy of its bytes on drop.
pub(crate) fn read_file(path: &Path) -> Result<Zeroizing<String>, CryptoError> {
    // An error about this "path" would quote it, and with it the key.
    if path.to_str().is_some_and(is_key_text) {
        return Err(CryptoError::KeyTextAsPath);
    }
    let unreadable = |source| CryptoError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    // Bounded: `file:///dev/zero` must not read forever.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_KEY_FILE + 1), &mut bytes)
        })
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        drop(Zeroizing::new(bytes));
        return Err(CryptoError::FileTooLarge {
            path: path.to_path_buf(),
            limit: MAX_KEY_FILE,
        });
    }
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

/// Whether a would-be path is really key material: PEM, one of PHP's bare
/// forms, or a long run of base64 (no real path is 256 bytes of nothing
/// but base64 characters).
fn is_key_text(text: &str) -> bool {
    let bare_form =
        (text.starts_with("private.") || text.starts_with("public.")) && text.contains("://");
    let base64_run = text.len() >= 256
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    text.contains("-----BEGIN") || text.contains('\n') || bare_form || base64_run
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
