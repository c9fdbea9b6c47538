//! `cargo xtask ci wine`: the workspace's tests as Windows binaries under
//! Wine, in a prefix of our own under `target/wine`, failing on a failed
//! test, on none, after [`TEST_TIMEOUT`] or on litter in the prefix's
//! `Temp`. Each step, and why: "The Windows tests under Wine" in
//! `docs/platforms.md`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::litter::Watched;
use crate::run::{Tally, at, capture, cargo_args, remove_tree, root, show, stdout_of};
use crate::tools::{find_program, missing, skipped};

/// The Windows target Wine runs (its cargo runner is set below).
pub(crate) const TARGET: &str = "x86_64-pc-windows-gnu";

/// The longest the test run may take before it is killed: far beyond the
/// minute or two it needs, short enough that a hung Wine cannot stall CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(12 * 60);

/// The C compiler of mingw-w64, for the shim DLL (and the linker rustc
/// uses for the target).
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// Where Wine's programs are: Debian and Ubuntu's `wine64` package first
/// (it puts nothing on `PATH` but `wine64` itself), then `PATH`.
const WINE_CANDIDATES: &[&str] = &["/usr/lib/wine/wine64", "wine64", "wine"];
const WINESERVER_CANDIDATES: &[&str] = &[
    "/usr/lib/wine/wineserver",
    "/usr/lib/wine/wineserver64",
    "wineserver",
];

/// The tools this step runs.
struct Tools {
    wine: PathBuf,
    server: PathBuf,
    gcc: PathBuf,
}

impl Tools {
    /// Finds every tool, or says which are missing and how to get them.
    fn find() -> Result<Tools, String> {
        let wine = find_program(WINE_CANDIDATES).zip(find_program(WINESERVER_CANDIDATES));
        let gcc = find_program(&[MINGW_GCC]);
        let absent = [
            wine.is_none().then_some("Wine (wine64, wineserver)"),
            gcc.is_none().then_some(MINGW_GCC),
        ];
        if let (Some((wine, server)), Some(gcc)) = (wine, gcc) {
            return Ok(Tools { wine, server, gcc });
        }
        let absent: Vec<&str> = absent.into_iter().flatten().collect();
        Err(format!(
            "{} not found, so the Windows tests cannot run here; \
             install with `apt-get install --no-install-recommends \
             gcc-mingw-w64-x86-64 wine64`",
            absent.join(" and ")
        ))
    }
}

/// The step.
pub(crate) fn wine() -> Result<String, String> {
    let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
    if (os, arch) != ("linux", "x86_64") {
        return Ok(skipped(&format!(
            "Wine runs the Windows tests from Linux x86_64 only (this is {os} {arch}); \
             the Windows CI runner runs them natively"
        )));
    }
    let tools = match Tools::find() {
        Ok(tools) => tools,
        Err(reason) => return missing(&reason),
    };
    crate::ci::ensure_targets(&[TARGET])?;
    let work = root().join("target").join("wine");
    std::fs::create_dir_all(&work).map_err(at(&work))?;
    let dll = build_shim(&tools, &work)?;
    let prefix = Prefix {
        tools: &tools,
        dir: work.join("prefix"),
    };
    let server = prefix.start_server()?;
    prefix.boot(&dll)?;
    let version = stdout_of(Command::new(&tools.wine).arg("--version"));
    let version = version.map_or("Wine".into(), |v| v.trim().replace("wine-", "Wine "));
    // The build's temporary files, removed afterwards.
    let scratch = work.join("tmp");
    remove_tree(&scratch)?;
    std::fs::create_dir(&scratch).map_err(at(&scratch))?;
    let windows_temp = prefix.windows_temp()?;
    let result = run_tests(&prefix, &scratch, &work.join("test.log"));
    drop(server);
    let cleared = remove_tree(&scratch);
    let summary = result?;
    cleared?;
    for temp in &windows_temp {
        temp.check("the tests under Wine")?;
    }
    Ok(format!("{summary} under {version}, nothing left behind"))
}

/// Compiles the `ProcessPrng` shim into `work`, unless it is newer than
/// its source already.
fn build_shim(tools: &Tools, work: &Path) -> Result<PathBuf, String> {
    let source = root().join("xtask").join("wine").join("bcryptprimitives.c");
    let dll = work.join("bcryptprimitives.dll");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(written)) = (modified(&dll), modified(&source))
        && built >= written
    {
        return Ok(dll);
    }
    let mut gcc = Command::new(&tools.gcc);
    gcc.args(["-shared", "-O2", "-Wall", "-Werror", "-o"]);
    capture(gcc.arg(&dll).arg(&source).arg("-ladvapi32"))?;
    Ok(dll)
}

/// A Wine prefix of our own.
struct Prefix<'a> {
    tools: &'a Tools,
    dir: PathBuf,
}

impl Prefix<'_> {
    /// `program` with this prefix's environment.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        self.apply_env(&mut command);
        command.current_dir(root());
        command
    }

    /// This prefix's environment: no display, no debug output, no offer to
    /// install Mono or Gecko, nothing from the host's temporary-directory
    /// variables (Wine would pass `TMPDIR` through to Windows programs).
    fn apply_env(&self, command: &mut Command) {
        command
            .env("WINEPREFIX", &self.dir)
            .env("WINEARCH", "win64")
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
        for var in ["DISPLAY", "WAYLAND_DISPLAY", "TMPDIR"] {
            command.env_remove(var);
        }
    }

    /// [`run_logged`], failing unless it succeeds.
    fn run_logged(&self, mut command: Command, log: &Path) -> Result<(), String> {
        match run_logged(&mut command, log)? {
            (status, _) if status.success() => Ok(()),
            (status, text) => Err(format!("`{}` failed ({status})\n{text}", show(&command))),
        }
    }

    /// `wineserver -p`: a server that lives until the [`Server`] is dropped, so
    /// that test binaries do not each start and stop one.
    /// A server left by an interrupted run is stopped first (`-p` refuses
    /// to start a second one).
    fn start_server(&self) -> Result<Server<'_>, String> {
        std::fs::create_dir_all(&self.dir).map_err(at(&self.dir))?;
        drop(Server { prefix: self });
        let mut command = self.command(&self.tools.server);
        command.arg("-p");
        self.run_logged(command, &self.dir.with_extension("server.log"))?;
        Ok(Server { prefix: self })
    }

    /// `wineboot` (`-i` the first time, about 6 s), then the shim DLL
    /// into `system32`.
    fn boot(&self, dll: &Path) -> Result<(), String> {
        let system32 = self.dir.join("drive_c/windows/system32");
        let mut command = self.command(&self.tools.wine);
        command.arg("wineboot");
        if !self.dir.join("system.reg").is_file() || !system32.is_dir() {
            command.arg("-i");
        }
        self.run_logged(command, &self.dir.with_extension("boot.log"))?;
        let installed = system32.join("bcryptprimitives.dll");
        std::fs::copy(dll, &installed)
            .map(drop)
            .map_err(|e| format!("copying the shim to {}: {e}", installed.display()))
    }

    /// The Windows temporary directory of each user in the prefix
    /// (`drive_c/users/<name>/Temp`, where Windows programs' `TEMP` and
    /// `TMP` point), emptied, to be checked after the run.
    fn windows_temp(&self) -> Result<Vec<Watched>, String> {
        let users = self.dir.join("drive_c").join("users");
        let entries = std::fs::read_dir(&users).map_err(at(&users))?;
        let mut watched = Vec::new();
        for entry in entries {
            let temp = entry.map_err(at(&users))?.path().join("Temp");
            if temp.is_dir() {
                watched.push(Watched::existing(temp)?);
            }
        }
        if watched.is_empty() {
            return Err(format!(
                "no user of the Wine prefix has a Temp directory in {}",
                users.display()
            ));
        }
        Ok(watched)
    }
}

/// The running server of a prefix, stopped when dropped.
struct Server<'a> {
    prefix: &'a Prefix<'a>,
}

impl Drop for Server<'_> {
    /// `wineserver -k` (ends every Wine process of the prefix), then
    /// `wineserver -w` (waits until the server is gone).
    fn drop(&mut self) {
        let log = self.prefix.dir.with_extension("stop.log");
        for flag in ["-k", "-w"] {
            let mut command = self.prefix.command(&self.prefix.tools.server);
            let _ = run_logged(command.arg(flag), &log);
        }
        // Wine's server makes its socket directory in `$TMPDIR`, which no
        // Wine process sees here, else in `/tmp`.
        remove_server_dir(&self.prefix.dir, Path::new("/tmp"));
    }
}

/// Removes the directory Wine's server made in `base` for `prefix`'s
/// socket (step 4 in "The Windows tests under Wine", `docs/platforms.md`),
/// `<base>/wine-XXXXXX/server-<dev>-<inode>` in hex (`.wine-<uid>`
/// upstream), and its parent if that is then empty; returns what it
/// removed. Only real directories owned by the prefix's owner are touched.
#[cfg(unix)]
fn remove_server_dir(prefix: &Path, base: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;

    let mut removed = Vec::new();
    let Ok(ours) = std::fs::symlink_metadata(prefix) else {
        return removed;
    };
    let name = format!("server-{:x}-{:x}", ours.dev(), ours.ino());
    let owned_dir = |path: &Path| {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir() && m.uid() == ours.uid())
    };
    let Ok(entries) = std::fs::read_dir(base) else {
        return removed;
    };
    for entry in entries.flatten() {
        let (parent, file_name) = (entry.path(), entry.file_name());
        let wine = ["wine-", ".wine-"]
            .iter()
            .any(|p| file_name.to_string_lossy().starts_with(p));
        let server = parent.join(&name);
        if !wine || !owned_dir(&parent) || !owned_dir(&server) {
            continue;
        }
        if std::fs::remove_dir_all(&server).is_ok() {
            removed.push(server);
            if std::fs::remove_dir(&parent).is_ok() {
                removed.push(parent);
            }
        }
    }
    removed
}

/// Wine runs from Linux only: there is no server directory elsewhere.
#[cfg(not(unix))]
fn remove_server_dir(_prefix: &Path, _base: &Path) -> Vec<PathBuf> {
    Vec::new()
}

/// `cargo test` for the Windows target with Wine as the runner; output in
/// `log`. Returns the summary of what passed.
fn run_tests(prefix: &Prefix<'_>, scratch: &Path, log: &Path) -> Result<String, String> {
    let tools = prefix.tools;
    let mut command = cargo_args("test --workspace --locked --no-fail-fast --target");
    command.arg(TARGET);
    // Cargo splits the runner at white space.
    if tools.wine.to_string_lossy().contains(char::is_whitespace) {
        return Err(format!(
            "Wine's path {} has white space, which a cargo runner cannot express",
            tools.wine.display()
        ));
    }
    prefix.apply_env(&mut command);
    // The compilers and linkers write their temporary files to the
    // scratch directory; Wine and the Windows programs it runs see no
    // TMPDIR (Wine would hand it on to them, and our discovery reads it).
    command.env("TMPDIR", scratch);
    let runner = format!("env -u TMPDIR {}", tools.wine.display());
    command.env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", runner);
    let (status, text) = run_logged(&mut command, log)?;
    let (tally, log) = (Tally::of(&text), log.display());
    if !status.success() || tally.failed > 0 {
        let shown = show(&command);
        return Err(format!(
            "`{shown}` failed ({status}); the log is {log}\n{text}"
        ));
    }
    if tally.passed() == 0 {
        return Err(format!("no test ran under Wine: the log is {log}\n{text}"));
    }
    Ok(tally.summary())
}

/// Runs `command` to completion with its output in `log` (Wine's
/// background processes inherit a pipe and would keep it open), killing
/// it after [`TEST_TIMEOUT`]; returns its status and the log.
fn run_logged(command: &mut Command, log: &Path) -> Result<(ExitStatus, String), String> {
    let out = File::create(log).map_err(at(log))?;
    let err = out.try_clone().map_err(at(log))?;
    let mut child = (command.stdin(Stdio::null()).stdout(out).stderr(err).spawn())
        .map_err(|e| format!("cannot run `{}`: {e}", show(command)))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TEST_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let (shown, secs) = (show(command), TEST_TIMEOUT.as_secs());
                return Err(format!(
                    "`{shown}` still running after {secs} s: killed\n{text}"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("waiting for `{}`: {e}", show(command))),
        }
    };
    let text = std::fs::read_to_string(log).map_err(at(log))?;
    Ok((status, text))
}

/// The server directory is a unix thing: so are its tests.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_the_server_directory_of_our_prefix_is_removed() {
        use std::os::unix::fs::MetadataExt;

        let work = tempfs::TempDir::with_prefix("wine-work-").unwrap();
        let prefix = work.path().join("prefix");
        std::fs::create_dir(&prefix).unwrap();
        let meta = std::fs::metadata(&prefix).unwrap();
        let ours = format!("server-{:x}-{:x}", meta.dev(), meta.ino());
        let base = work.path().join("tmp");
        // Debian's layout, alone in its parent: both go.
        let alone = base.join("wine-AbC123");
        std::fs::create_dir_all(alone.join(&ours)).unwrap();
        std::fs::write(alone.join(&ours).join("lock"), "").unwrap();
        // Upstream's shared parent, with another prefix's server: only ours goes.
        let shared = base.join(".wine-0");
        let other = shared.join("server-fe00-1");
        std::fs::create_dir_all(shared.join(&ours)).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        // Not Wine's: untouched even with our name inside.
        let unrelated = base.join("mine").join(&ours);
        std::fs::create_dir_all(&unrelated).unwrap();

        let mut removed = remove_server_dir(&prefix, &base);
        removed.sort();
        let mut expected = vec![shared.join(&ours), alone.clone(), alone.join(&ours)];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(!alone.exists());
        assert!(other.is_dir() && !shared.join(&ours).exists());
        assert!(unrelated.is_dir());
        assert_eq!(remove_server_dir(&prefix, &base), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_symlink_where_the_server_directory_would_be_is_left_alone() {
        use std::os::unix::fs::MetadataExt;

        let work = tempfs::TempDir::with_prefix("wine-work-").unwrap();
        let prefix = work.path().join("prefix");
        let outside = work.path().join("outside");
        std::fs::create_dir(&prefix).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        let meta = std::fs::metadata(&prefix).unwrap();
        let parent = work.path().join("tmp").join("wine-XyZ789");
        std::fs::create_dir_all(&parent).unwrap();
        let name = format!("server-{:x}-{:x}", meta.dev(), meta.ino());
        std::os::unix::fs::symlink(&outside, parent.join(name)).unwrap();
        assert_eq!(
            remove_server_dir(&prefix, &work.path().join("tmp")),
            Vec::<PathBuf>::new()
        );
        assert!(outside.join("keep").is_file());
    }
}
