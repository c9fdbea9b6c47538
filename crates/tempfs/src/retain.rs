//! Retention: whether an object that cleans up keeps its file or
//! directory when dropped ([`Retention`]), for one object
//! ([`Builder::retention`](crate::Builder::retention)) or the whole process
//! (the environment variable [`KEEP_VAR`], `TEMPKIT_KEEP`), and the line on
//! standard error that says where a kept object is.
//!
//! The decision is made in `Drop`, before cleanup starts, so an object is
//! either kept whole or removed as usual: never half removed. With the
//! default policy it costs a load of a value read once per process; the
//! environment is read at the first drop, and asked whether it is trusted
//! (a few system calls) only if the variable is set.

use std::cell::Cell;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::mem;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable that sets the process-wide [`Retention`]:
/// `never`, `panic` or `always` (ASCII case ignored). Read once, at the
/// first drop of an object that cleans up; ignored in a process started
/// set-user-ID, set-group-ID or with file capabilities, as `TMPDIR` is (see
/// [`tempcore::environment_is_trusted`]). Any other value is reported on
/// standard error, once, and ignored. An empty value counts as unset.
pub const KEEP_VAR: &str = "TEMPKIT_KEEP";

/// What an object that cleans up ([`NamedTempFile`](crate::NamedTempFile),
/// [`TempPath`](crate::TempPath), [`TempDir`](crate::TempDir)) does with
/// its file or directory when it is dropped. Ordered from least to most
/// kept. A [`TempFile`](crate::TempFile), which has no name, is kept by
/// giving it one: linked into the directory it was made in under a fresh
/// name (`tmp` and 13 random characters), which the `kept` line gives.
///
/// When an object is kept because of its policy (not because the code
/// called `keep()` or [`disable_cleanup`](crate::Builder::disable_cleanup)),
/// one line goes to standard error, starting with `kept`, saying why and
/// naming the path:
///
/// ```text
/// kept after a panic: /tmp/tmpq3x8kd0a1mzpe
/// kept (TEMPKIT_KEEP=always): /tmp/tmpw0c5a7ghn2kfr
/// ```
///
/// [`Builder::report_kept`](crate::Builder::report_kept) and
/// [`report_kept`] silence it.
///
/// ```
/// use tempfs::{Builder, Retention};
/// // Left on disk if this thread panics before the file is dropped.
/// let file = Builder::new().retention(Retention::Panic).tempfile()?;
/// let path = file.path().to_path_buf();
/// drop(file); // no panic: removed
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Retention {
    /// Remove on drop (the default; `TEMPKIT_KEEP=never`).
    Never,
    /// Keep if the thread dropping the object is panicking
    /// ([`std::thread::panicking`]), unless the panic came out of the
    /// cleanup of another temporary object (`TEMPKIT_KEEP=panic`). A panic
    /// aborts instead of unwinding with `panic = "abort"`: nothing is
    /// dropped then, and the objects stay on disk without a word.
    Panic,
    /// Keep always (`TEMPKIT_KEEP=always`).
    Always,
}

impl Retention {
    /// The policy named `value` (`never`, `panic` or `always`, ASCII case
    /// ignored), or `None`.
    ///
    /// ```
    /// use tempfs::Retention;
    /// assert_eq!(Retention::parse("panic"), Some(Retention::Panic));
    /// assert_eq!(Retention::parse("sometimes"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Retention> {
        [Retention::Never, Retention::Panic, Retention::Always]
            .into_iter()
            .find(|policy| value.eq_ignore_ascii_case(policy.name()))
    }

    /// The policy's name, as [`KEEP_VAR`] spells it.
    pub fn name(self) -> &'static str {
        match self {
            Retention::Never => "never",
            Retention::Panic => "panic",
            Retention::Always => "always",
        }
    }

    /// The process-wide policy: what [`KEEP_VAR`] says, or
    /// [`Never`](Retention::Never). Objects built without
    /// [`Builder::retention`](crate::Builder::retention) follow it. Read
    /// once per process; an unknown value is reported once on standard
    /// error and ignored.
    pub fn from_env() -> Retention {
        from_env().unwrap_or(Retention::Never)
    }
}

/// The policy [`KEEP_VAR`] sets, read once.
fn from_env() -> Option<Retention> {
    static FROM_ENV: OnceLock<Option<Retention>> = OnceLock::new();
    *FROM_ENV.get_or_init(|| {
        let value = std::env::var_os(KEEP_VAR)?;
        if value.is_empty() || !tempcore::environment_is_trusted() {
            return None;
        }
        parse_var(&value)
    })
}

/// [`KEEP_VAR`]'s value as a policy; anything else is reported and `None`.
fn parse_var(value: &OsStr) -> Option<Retention> {
    let policy = value.to_str().and_then(Retention::parse);
    if policy.is_none() {
        let _ = writeln!(
            io::stderr().lock(),
            "tempfs: ignoring {KEEP_VAR}={}: not never, panic or always",
            value.to_string_lossy()
        );
    }
    policy
}

/// Turns the `kept` line off (`false`) or back on for every object in the
/// process; [`Builder::report_kept`](crate::Builder::report_kept) turns it
/// off for one object.
pub fn report_kept(enabled: bool) {
    REPORT.store(enabled, Ordering::Relaxed);
}

static REPORT: AtomicBool = AtomicBool::new(true);

/// An object's retention settings: its policy (`None`: the process's) and
/// whether it may report. Two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Retain {
    pub(crate) policy: Option<Retention>,
    pub(crate) quiet: bool,
}

impl Retain {
    /// Whether the object at `path`, about to be cleaned up, is to be kept
    /// instead; if so, the `kept` line has been written. Called once per
    /// object, from `Drop`, before cleanup starts.
    #[inline]
    pub(crate) fn keeps(self, path: &Path) -> bool {
        match self.reason() {
            None => false,
            Some(why) => {
                self.report(why, path);
                true
            }
        }
    }

    /// Why the object about to be cleaned up is to be kept instead (the
    /// start of its `kept` line), or `None`. Called once per object, from
    /// `Drop`, before cleanup starts.
    #[inline]
    pub(crate) fn reason(self) -> Option<&'static str> {
        // The default, inlined into every `Drop`: one load and a compare.
        match self.policy.or_else(from_env) {
            None | Some(Retention::Never) => None,
            Some(_) => self.reason_unless_never(),
        }
    }

    /// Whether the policy may keep the object at all (anything but
    /// [`Never`](Retention::Never), from the builder or `TEMPKIT_KEEP`):
    /// a `TempFile` then holds on to its directory, to be linked into, and
    /// the system must not remove the object on its own (Windows'
    /// delete-on-close), since a kill or an abort is a failure too.
    pub(crate) fn may_keep(self) -> bool {
        !matches!(self.policy.or_else(from_env), None | Some(Retention::Never))
    }

    /// [`reason`](Self::reason) for a policy that may keep.
    #[cold]
    #[inline(never)]
    fn reason_unless_never(self) -> Option<&'static str> {
        let (policy, from_env) = match self.policy {
            Some(policy) => (policy, false),
            None => (from_env()?, true),
        };
        Some(match (policy, from_env) {
            (Retention::Never, _) => return None,
            (Retention::Panic, _) if !panicking_outside_cleanup() => return None,
            (Retention::Panic, _) => "kept after a panic",
            (Retention::Always, true) => "kept (TEMPKIT_KEEP=always)",
            (Retention::Always, false) => "kept (retention always)",
        })
    }

    /// Writes the `kept` line, `why` and `path`, unless silenced.
    #[cold]
    pub(crate) fn report(self, why: &str, path: &Path) {
        if !self.quiet && REPORT.load(Ordering::Relaxed) {
            let _ = writeln!(io::stderr().lock(), "{why}: {}", path.display());
        }
    }
}

thread_local! {
    /// Set when a panic unwinds out of a temporary object's cleanup on
    /// this thread; cleared by the next drop that finds the thread not
    /// panicking.
    static CLEANUP_PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is panicking for a reason other than a panic out of
/// a temporary object's own cleanup.
fn panicking_outside_cleanup() -> bool {
    if !std::thread::panicking() {
        let _ = CLEANUP_PANICKED.try_with(|flag| flag.set(false));
        return false;
    }
    !CLEANUP_PANICKED.try_with(Cell::get).unwrap_or(false)
}

/// Held across a cleanup: dropped only if a panic unwinds out of it, which
/// marks the thread's panic as one that keeps nothing. Free otherwise
/// ([`Cleaning::done`] forgets it).
pub(crate) struct Cleaning(());

impl Cleaning {
    /// A cleanup starts.
    pub(crate) fn start() -> Cleaning {
        Cleaning(())
    }

    /// It ended without a panic.
    pub(crate) fn done(self) {
        mem::forget(self);
    }
}

impl Drop for Cleaning {
    fn drop(&mut self) {
        let _ = CLEANUP_PANICKED.try_with(|flag| flag.set(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for policy in [Retention::Never, Retention::Panic, Retention::Always] {
            assert_eq!(Retention::parse(policy.name()), Some(policy));
            assert_eq!(
                Retention::parse(&policy.name().to_uppercase()),
                Some(policy)
            );
        }
        assert_eq!(Retention::parse(""), None);
        assert_eq!(Retention::parse("panic "), None);
        assert!(Retention::Never < Retention::Panic && Retention::Panic < Retention::Always);
    }

    #[test]
    fn an_explicit_policy_decides_without_the_environment() {
        let path = Path::new("/nonexistent");
        let never = Retain {
            policy: Some(Retention::Never),
            quiet: true,
        };
        let panic = Retain {
            policy: Some(Retention::Panic),
            quiet: true,
        };
        let always = Retain {
            policy: Some(Retention::Always),
            quiet: true,
        };
        assert!(!never.keeps(path));
        assert!(!panic.keeps(path));
        assert!(always.keeps(path));
    }

    // Not on WASI: it has no threads, and a panic aborts there
    // (`panic = "abort"`), so none can be caught.
    #[cfg(not(target_os = "wasi"))]
    mod panics {
        use super::*;

        /// Drops, and records whether a `Panic` policy kept it.
        struct Other;

        impl Drop for Other {
            fn drop(&mut self) {
                let panic = Retain {
                    policy: Some(Retention::Panic),
                    quiet: true,
                };
                let kept = panic.keeps(Path::new("/nonexistent"));
                KEPT.with(|cell| cell.set(Some(kept)));
            }
        }

        thread_local!(static KEPT: Cell<Option<bool>> = const { Cell::new(None) });

        /// Runs `body` on a thread of its own, catching its panic, and says
        /// whether the `Other` it dropped was kept.
        fn kept_by(body: fn()) -> Option<bool> {
            std::thread::spawn(move || {
                assert!(std::panic::catch_unwind(body).is_err());
                KEPT.with(Cell::get)
            })
            .join()
            .unwrap()
        }

        #[test]
        fn a_panic_out_of_cleanup_keeps_nothing_else() {
            // A panic that unwinds out of a cleanup: the other object dropped
            // during the unwinding is removed.
            let in_cleanup = kept_by(|| {
                let _other = Other;
                let cleaning = Cleaning::start();
                if std::hint::black_box(true) {
                    std::panic::panic_any("in cleanup");
                }
                cleaning.done();
            });
            assert_eq!(in_cleanup, Some(false));
            // Any other panic keeps it.
            let elsewhere = kept_by(|| {
                let _other = Other;
                std::panic::panic_any("in the test");
            });
            assert_eq!(elsewhere, Some(true));
        }
    }
}
