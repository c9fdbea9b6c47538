//! Windows: `cleanup_on_signals` removes named objects when a console
//! control event ends the process (Ctrl+C, Ctrl+Break, the console
//! closing), and the process ends as it would have.
//!
//! Each test runs this binary again as a child that makes its objects,
//! prints `ready` and the address of its `CtrlRoutine`, and waits; the
//! parent delivers the event as the console host does
//! ([`testkit::windows::send_console_event`]).

#![cfg(windows)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tempfs::{Builder, NamedTempFile, TempDir};
use testkit::Scratch;
use testkit::windows::{ctrl_routine_address, send_console_event, take_console_events_over};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT,
};

/// Where the child makes its objects.
const CHILD_DIR: &str = "TEMPKIT_CONSOLE_CHILD_DIR";
/// What the child does: [`Mode`]'s names.
const CHILD_MODE: &str = "TEMPKIT_CONSOLE_CHILD_MODE";

/// How the child sets itself up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// No hook: what the event does to a process by itself.
    Plain,
    /// The hook, installed twice.
    Hooked,
    /// The hook, then a handler of the application's that keeps the
    /// process alive.
    AppAfter,
    /// A handler of the application's that keeps the process alive, then
    /// the hook.
    AppBefore,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Plain, Mode::Hooked, Mode::AppAfter, Mode::AppBefore];

    fn name(self) -> String {
        format!("{self:?}")
    }
}

/// The child: makes a file, a `TempPath`, a `TempDir` with contents and a
/// kept file (and, before the hook, a `TempPath` it does not cover), says
/// `ready`, and waits for the event. Where the application keeps the
/// process alive, it says which of its objects are still there once the
/// event came, then drops them and exits 0.
fn child(dir: &Path, mode: Mode) -> ! {
    let before = Builder::new()
        .prefix("before-")
        .tempfile_in(dir)
        .unwrap()
        .into_temp_path();
    let mut app = None;
    if mode == Mode::AppBefore {
        app = Some(take_console_events_over());
    }
    if mode != Mode::Plain {
        tempfs::cleanup_on_signals().unwrap();
        tempfs::cleanup_on_signals().unwrap();
    }
    if mode == Mode::AppAfter {
        app = Some(take_console_events_over());
    }
    let mut named = NamedTempFile::with_prefix_in("named-", dir).unwrap();
    named.write_all(b"named").unwrap();
    let path = Builder::new()
        .prefix("path-")
        .tempfile_in(dir)
        .unwrap()
        .into_temp_path();
    let tree = TempDir::with_prefix_in("dir-", dir).unwrap();
    std::fs::create_dir_all(tree.path().join("sub").join("deeper")).unwrap();
    std::fs::write(tree.path().join("sub").join("deeper").join("file"), b"x").unwrap();
    if mode != Mode::Plain {
        // Not where nothing removes it: the scratch directory's removal
        // (std) cannot remove a read-only file on Windows.
        let read_only = tree.path().join("read-only");
        std::fs::write(&read_only, b"x").unwrap();
        let mut permissions = std::fs::metadata(&read_only).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&read_only, permissions).unwrap();
    }
    let (_file, kept) = NamedTempFile::with_prefix_in("kept-", dir)
        .unwrap()
        .keep()
        .unwrap();
    drop(kept);

    println!("ready {}", ctrl_routine_address());
    std::io::stdout().flush().unwrap();
    let Some(received) = app else {
        std::thread::sleep(Duration::from_secs(30));
        std::process::exit(3);
    };
    for _ in 0..300 {
        if received.load(Ordering::SeqCst) > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let there = [named.path(), &*path, tree.path(), &*before].map(|p| p.exists());
    println!(
        "received {} there {there:?}",
        received.load(Ordering::SeqCst)
    );
    std::io::stdout().flush().unwrap();
    drop((named, path, tree, before));
    std::process::exit(0);
}

/// Runs the child in `mode`, sends it `event`, and returns its exit code
/// and the lines it printed after `ready`.
fn run_child(scratch: &Scratch, mode: Mode, event: u32) -> (Option<i32>, Vec<String>) {
    let mut running = Command::new(std::env::current_exe().unwrap())
        .args([
            "windows_console::child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, scratch.path())
        .env(CHILD_MODE, mode.name())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(running.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let routine = loop {
        let Some(line) = lines.next() else {
            panic!("the child ended before it was ready: {said:?}");
        };
        let line = line.unwrap();
        // After libtest's "test ... " on the same line.
        if let Some((_, address)) = line.split_once("ready ") {
            break address.trim().parse::<usize>().unwrap();
        }
        said.push(line);
    };
    send_console_event(&running, routine, event);
    let after: Vec<String> = lines.map(Result::unwrap).collect();
    let status = running.wait().unwrap();
    (status.code(), after)
}

/// The child's entry point: a test that does nothing unless run as the
/// child.
#[test]
fn child_process() {
    let (Some(dir), Some(mode)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_MODE).ok())
    else {
        return;
    };
    let mode = Mode::ALL.into_iter().find(|m| m.name() == mode).unwrap();
    child(Path::new(&dir), mode);
}

/// The names in `scratch`, sorted, each cut at its prefix's dash.
fn prefixes(scratch: &Scratch) -> Vec<String> {
    let mut names: Vec<String> = scratch
        .entries()
        .iter()
        .map(|e| {
            let name = e.to_string_lossy();
            name.split_once('-').map_or(&*name, |(p, _)| p).to_string()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn each_event_that_ends_the_process_removes_its_named_objects_first() {
    for (event, label) in [
        (CTRL_C_EVENT, "ctrl-c"),
        (CTRL_BREAK_EVENT, "ctrl-break"),
        (CTRL_CLOSE_EVENT, "close"),
    ] {
        let plain = Scratch::new(&format!("console-plain-{label}"));
        let (ends_with, _) = run_child(&plain, Mode::Plain, event);
        assert_ne!(
            ends_with,
            Some(3),
            "{label}: the event did not end a plain process"
        );

        let hooked = Scratch::new(&format!("console-hooked-{label}"));
        let (code, said) = run_child(&hooked, Mode::Hooked, event);
        assert_eq!(code, ends_with, "{label}: {said:?}");
        // What the hook does not cover stays: made before it, or kept.
        assert_eq!(prefixes(&hooked), ["before", "kept"], "{label}");
    }
}

/// Runs the child in `mode`, where the application keeps the process,
/// sends it `event`, and checks that the child lived on, saw which of its
/// objects (file, `TempPath`, `TempDir`, the one made before the hook)
/// were `there`, and left only its kept file when it exited.
fn survives(label: &str, mode: Mode, event: u32, there: [bool; 4]) {
    let scratch = Scratch::new(label);
    let (code, said) = run_child(&scratch, mode, event);
    assert_eq!(code, Some(0), "{said:?}");
    let expected = format!("received 1 there {there:?}");
    assert!(said.iter().any(|l| l.contains(&expected)), "{said:?}");
    assert_eq!(prefixes(&scratch), ["kept"]);
}

#[test]
fn a_handler_registered_after_the_hook_takes_the_events_over() {
    survives(
        "console-app-after",
        Mode::AppAfter,
        CTRL_BREAK_EVENT,
        [true; 4],
    );
}

#[test]
fn logoff_removes_nothing() {
    // A service receives it whenever anyone logs off, and lives on: here
    // the application's handler, registered first, keeps the process.
    survives(
        "console-logoff",
        Mode::AppBefore,
        CTRL_LOGOFF_EVENT,
        [true; 4],
    );
}

#[test]
fn a_handler_registered_before_the_hook_runs_after_it() {
    // Windows cannot tell the hook that the application handles the event
    // itself (unix can): what the hook covers is gone by the time the
    // application's handler runs. Documented on `cleanup_on_signals`.
    let there = [false, false, false, true];
    survives(
        "console-app-before",
        Mode::AppBefore,
        CTRL_BREAK_EVENT,
        there,
    );
}
