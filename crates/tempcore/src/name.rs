//! Random names: prefix + random part + suffix.
//!
//! The random part is drawn from the operating system's CSPRNG and spelled
//! in a 32-letter alphabet of lowercase letters and digits: five bits per
//! character, taken by masking a random byte, so every letter is equally
//! likely (256 is a multiple of 32: no modulo bias), and no two names differ
//! only in case, so they stay distinct on case-insensitive file systems.

use std::ffi::{OsStr, OsString};
use std::io;

use crate::sys;

/// The default prefix of every name, as Python's `gettempprefix()`.
pub const DEFAULT_PREFIX: &str = "tmp";

/// The default length of the random part, in characters: 13 characters of
/// 5 bits each carry 65 bits of entropy.
pub const DEFAULT_RAND_LEN: usize = 13;

/// How many candidate names a creation function tries before it gives up
/// with [`io::ErrorKind::AlreadyExists`]. A random part of the default length
/// collides with an existing name with probability about 2⁻⁶⁵ per existing
/// entry, so in practice only a short random part or an attacker who can
/// fill the whole name space ever sees a second attempt.
pub const MAX_ATTEMPTS: u32 = 1024;

/// The letters of the random part: lowercase ASCII letters and digits, 32 of
/// them (RFC 4648 base32 in lowercase).
pub const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Bits of entropy carried by each random character.
pub const BITS_PER_CHAR: u32 = 5;

/// A source of candidate names for the creation functions.
///
/// [`Template`] is the one to use; the trait exists so that callers (and
/// tests) can decide exactly which names are tried, for instance to plant an
/// attacker's file at the very name a creator is about to use.
pub trait NameSource {
    /// Returns the next candidate name (one path component).
    fn next_name(&mut self) -> io::Result<OsString>;

    /// How many candidates to try before giving up. The creation functions
    /// always try at least one.
    fn attempts(&self) -> u32 {
        MAX_ATTEMPTS
    }
}

/// A validated name pattern: `prefix`, then `rand_len` random characters,
/// then `suffix`.
///
/// ```
/// let template = tempcore::Template::new("report-", ".csv", 8)?;
/// let name = template.generate()?;
/// let name = name.to_str().unwrap();
/// assert!(name.starts_with("report-") && name.ends_with(".csv"));
/// assert_eq!(name.len(), "report-".len() + 8 + ".csv".len());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Template<'a> {
    prefix: &'a OsStr,
    suffix: &'a OsStr,
    rand_len: usize,
}

impl Default for Template<'_> {
    /// Prefix `tmp`, no suffix, [`DEFAULT_RAND_LEN`] random characters.
    fn default() -> Self {
        Template {
            prefix: OsStr::new(DEFAULT_PREFIX),
            suffix: OsStr::new(""),
            rand_len: DEFAULT_RAND_LEN,
        }
    }
}

impl<'a> Template<'a> {
    /// Checks a pattern once, so that generating names from it cannot fail
    /// except for lack of randomness.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`], naming the argument, when
    /// the prefix or suffix holds a path separator (`/`, and `\` on Windows)
    /// or a NUL byte (or on Windows a `:`, which names a data stream), when
    /// the whole name would be `.`, `..` or empty, or when it would be
    /// longer than a file name may be (255 bytes on unix, 255 UTF-16 units
    /// on Windows).
    pub fn new(
        prefix: &'a (impl AsRef<OsStr> + ?Sized),
        suffix: &'a (impl AsRef<OsStr> + ?Sized),
        rand_len: usize,
    ) -> io::Result<Self> {
        let prefix = prefix.as_ref();
        let suffix = suffix.as_ref();
        check_affix("prefix", prefix)?;
        check_affix("suffix", suffix)?;
        if rand_len > sys::NAME_MAX {
            // Checked first and alone: the sum below cannot overflow then.
            return Err(invalid(format!(
                "the random part (rand_len) of {rand_len} characters is longer than the \
                 {max}-{unit} file name limit",
                max = sys::NAME_MAX,
                unit = sys::NAME_UNIT,
            )));
        }
        let len = sys::name_len(prefix)
            .saturating_add(rand_len)
            .saturating_add(sys::name_len(suffix));
        if len > sys::NAME_MAX {
            return Err(invalid(format!(
                "a temporary name of {len} {units} (prefix, {rand_len} random characters, \
                 suffix) is longer than the {max}-{unit} file name limit",
                units = sys::NAME_UNITS,
                max = sys::NAME_MAX,
                unit = sys::NAME_UNIT,
            )));
        }
        if rand_len == 0 {
            let mut fixed = prefix.to_os_string();
            fixed.push(suffix);
            if fixed.is_empty() || fixed == "." || fixed == ".." {
                return Err(invalid(format!(
                    "the name {fixed:?} (prefix and suffix with no random part) \
                     is not a usable file name"
                )));
            }
        }
        Ok(Template {
            prefix,
            suffix,
            rand_len,
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &'a OsStr {
        self.prefix
    }

    /// The suffix.
    pub fn suffix(&self) -> &'a OsStr {
        self.suffix
    }

    /// The number of random characters.
    pub fn rand_len(&self) -> usize {
        self.rand_len
    }

    /// Draws one name.
    pub fn generate(&self) -> io::Result<OsString> {
        // One allocation: the letters go from a stack buffer straight into
        // the name.
        let mut name =
            OsString::with_capacity(self.prefix.len() + self.rand_len + self.suffix.len());
        name.push(self.prefix);
        let mut random = [0u8; 64];
        let mut left = self.rand_len;
        while left > 0 {
            let chunk = &mut random[..left.min(64)];
            crate::entropy::fill(chunk)?;
            for b in chunk.iter_mut() {
                *b = ALPHABET[usize::from(*b & 31)];
            }
            name.push(sys::ascii_part(chunk));
            left -= chunk.len();
        }
        name.push(self.suffix);
        Ok(name)
    }

    /// Bits of entropy in each generated name.
    pub fn entropy_bits(&self) -> u64 {
        self.rand_len as u64 * u64::from(BITS_PER_CHAR)
    }
}

impl NameSource for Template<'_> {
    fn next_name(&mut self) -> io::Result<OsString> {
        self.generate()
    }

    /// [`MAX_ATTEMPTS`], or a single attempt when there is no random part
    /// (every attempt would try the same name).
    fn attempts(&self) -> u32 {
        if self.rand_len == 0 { 1 } else { MAX_ATTEMPTS }
    }
}

/// Returns `prefix`, `rand_len` random characters and `suffix`, joined: one
/// file name, not yet used for anything.
///
/// Errors as [`Template::new`] for bad input; also fails if the operating
/// system cannot supply randomness.
///
/// ```
/// let name = tempcore::random_name("tmp", ".txt", tempcore::DEFAULT_RAND_LEN)?;
/// assert_eq!(name.len(), 3 + 13 + 4);
/// let err = tempcore::random_name("a/b", "", 8).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(err.to_string().contains("prefix"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn random_name(
    prefix: impl AsRef<OsStr>,
    suffix: impl AsRef<OsStr>,
    rand_len: usize,
) -> io::Result<OsString> {
    Template::new(prefix.as_ref(), suffix.as_ref(), rand_len)?.generate()
}

fn check_affix(what: &str, value: &OsStr) -> io::Result<()> {
    if let Some(bad) = sys::forbidden_name_char(value) {
        return Err(invalid(format!(
            "the {what} {value:?} contains {bad}, which a temporary name may not hold"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn alphabet_is_case_insensitively_unique() {
        let folded: HashSet<u8> = ALPHABET.iter().map(u8::to_ascii_lowercase).collect();
        assert_eq!(folded.len(), 32);
        assert!(ALPHABET.iter().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn default_carries_at_least_64_bits() {
        assert!(Template::default().entropy_bits() >= 64);
    }

    #[test]
    fn every_letter_is_reached_evenly() {
        // 32,000 characters: each letter expected 1,000 times; a biased
        // mapping (e.g. modulo 36) would starve some letters.
        let template = Template::new("", "", 200).unwrap();
        let mut counts = [0u32; 256];
        for _ in 0..160 {
            for b in template.generate().unwrap().to_str().unwrap().bytes() {
                counts[usize::from(b)] += 1;
            }
        }
        for &letter in ALPHABET {
            let n = counts[usize::from(letter)];
            assert!(
                (700..1300).contains(&n),
                "{} seen {n} times",
                letter as char
            );
        }
        let total: u32 = ALPHABET.iter().map(|&l| counts[usize::from(l)]).sum();
        assert_eq!(total, 32_000);
    }

    #[test]
    fn rejects_separators_and_nul_naming_the_argument() {
        for (prefix, suffix, what) in [
            ("a/b", "", "prefix"),
            ("", "x/", "suffix"),
            ("a\0", "", "prefix"),
            ("", "\0", "suffix"),
        ] {
            let err = random_name(prefix, suffix, 4).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(what), "{err}");
        }
    }

    #[test]
    fn rejects_names_that_are_not_names() {
        for (prefix, suffix) in [("", ""), (".", ""), ("", ".."), (".", ".")] {
            let err = random_name(prefix, suffix, 0).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::InvalidInput,
                "{prefix:?}{suffix:?}"
            );
        }
        assert_eq!(random_name("..", "", 1).unwrap().len(), 3);
    }

    #[test]
    fn too_long_is_invalid_input_not_a_retry() {
        let err = random_name("p".repeat(250), "", 13).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("limit"), "{err}");
        assert!(random_name("p".repeat(242), "", 13).is_ok());
    }

    #[test]
    fn a_huge_random_part_is_invalid_input_naming_it() {
        // usize::MAX once overflowed the length sum: a panic in a debug
        // build, a wrapped length accepted in a release build.
        for rand_len in [usize::MAX, usize::MAX - 1, usize::MAX / 2 + 1, 256] {
            let err = random_name("tmp", ".txt", rand_len).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{rand_len}");
            assert!(err.to_string().contains("random part"), "{err}");
            let err = Template::new("", "", rand_len).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{rand_len}");
        }
        assert_eq!(random_name("", "", 255).unwrap().len(), 255);
    }

    #[test]
    fn fixed_name_is_tried_once() {
        let template = Template::new("fixed", "", 0).unwrap();
        assert_eq!(template.attempts(), 1);
        assert_eq!(template.generate().unwrap(), "fixed");
        assert_eq!(Template::default().attempts(), MAX_ATTEMPTS);
    }
}
