//! Cleanup against someone moving things under it: the CVE-2022-21658
//! swap loop, the TempDir's own path moved or replaced, an ancestor
//! replaced by a symlink, and a second deleter.
// Not on WASI: threads, symbolic links.
#![cfg(unix)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tempcore::PathError;
use tempfs::TempDir;
use testkit::Scratch;

use super::fixtures::{assert_canaries, build_tree, fast_scratch, link, plant_canaries};

/// Rounds of the swap loop: each builds a tree, races its cleanup, and
/// checks every canary.
const ROUNDS: usize = 300;

/// The directories the racer swaps, relative to the TempDir, and the
/// symlink to the canaries' directory that it puts in their place.
const SWAPPED: [(&str, &str); 4] = [
    ("s0", "../../outside"),
    ("s1", "../../outside"),
    ("s0/nested", "../../../outside"),
    ("s1/nested", "../../../outside"),
];

#[test]
fn swapping_directories_for_symlinks_during_cleanup_never_reaches_outside() {
    // CVE-2022-21658 (Rust std before 1.58.1) and RUSTSEC-2023-0018: a
    // remover that checks "not a symlink" and then removes by path can be
    // made to delete outside the tree by swapping a directory for a
    // symlink in between. Here a thread does exactly that, over and over,
    // while cleanup runs; the symlinks point at a directory full of
    // canaries.
    let scratch = fast_scratch("swap-loop");
    let outside = scratch.join("outside");
    fs::create_dir(&outside).unwrap();
    let canaries = plant_canaries(&outside);
    let work = scratch.join("work");
    fs::create_dir(&work).unwrap();
    let mut rounds_with_swaps = 0;
    for round in 0..ROUNDS {
        let dir = TempDir::new_in(&work).unwrap();
        for top in ["s0", "s1"] {
            let sub = dir.path().join(top);
            fs::create_dir_all(sub.join("nested")).unwrap();
            build_tree(&sub, 0, 0, 20);
            build_tree(&sub.join("nested"), 1, 2, 10);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let cleaning = Arc::new(AtomicBool::new(false));
        let cycles = Arc::new(AtomicUsize::new(0));
        let swaps = Arc::new(AtomicUsize::new(0));
        let racer = {
            let root = dir.path().to_path_buf();
            let (stop, cleaning) = (Arc::clone(&stop), Arc::clone(&cleaning));
            let (cycles, swaps) = (Arc::clone(&cycles), Arc::clone(&swaps));
            thread::spawn(move || {
                let mut k = round;
                while !stop.load(Ordering::Relaxed) {
                    let (swapped, outside) = SWAPPED[k % SWAPPED.len()];
                    if swap_once(&root.join(swapped), Path::new(outside))
                        && cleaning.load(Ordering::Relaxed)
                    {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                    cycles.fetch_add(1, Ordering::Relaxed);
                    k += 1;
                }
            })
        };
        while cycles.load(Ordering::Relaxed) < 2 {
            thread::yield_now();
        }
        cleaning.store(true, Ordering::Relaxed);
        // The result may be an error (the tree kept changing); what matters
        // is what happened outside.
        let _ = dir.close();
        cleaning.store(false, Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        racer.join().unwrap();
        assert_canaries(&canaries);
        if swaps.load(Ordering::Relaxed) > 0 {
            rounds_with_swaps += 1;
        }
        // Whatever the racer put back after cleanup ended.
        for leftover in fs::read_dir(&work).unwrap() {
            fs::remove_dir_all(leftover.unwrap().path()).unwrap();
        }
    }
    // About every round sees swaps here; demand a tenth, so that a loaded
    // machine cannot fail the test but a racer that never raced would.
    assert!(
        rounds_with_swaps >= ROUNDS / 10,
        "the racer swapped during cleanup in only {rounds_with_swaps} of {ROUNDS} rounds"
    );
}

/// Moves the directory `target` aside, puts the symlink `outside` (a
/// relative path: an absolute one would cross the root mount, which
/// openat2's mount check refuses on its own) in its place, then puts
/// everything back. Whether the symlink went in.
fn swap_once(target: &Path, outside: &Path) -> bool {
    let aside = PathBuf::from(format!("{}.aside", target.display()));
    if fs::rename(target, &aside).is_err() {
        return false;
    }
    let swapped = std::os::unix::fs::symlink(outside, target).is_ok();
    // Leave the symlink in place for most of the cycle, so that cleanup
    // meets it often.
    let until = Instant::now() + Duration::from_micros(50);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
    let _ = fs::remove_file(target);
    let _ = fs::rename(&aside, target);
    swapped
}

#[test]
fn the_own_path_replaced_by_a_symlink_removes_nothing() {
    let scratch = Scratch::new("own-symlink");
    let outside = scratch.join("outside");
    fs::create_dir(&outside).unwrap();
    let canaries = plant_canaries(&outside);
    let dir = TempDir::new_in(scratch.path()).unwrap();
    build_tree(dir.path(), 2, 2, 2);
    let moved = scratch.join("moved");
    fs::rename(dir.path(), &moved).unwrap();
    link(&outside, dir.path());

    let path = dir.path().to_path_buf();
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert_eq!(PathError::find(&err).unwrap().path(), path);
    assert_canaries(&canaries);
    assert!(
        fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        moved.join("d1/d1/f1").is_file(),
        "the moved directory was touched"
    );
}

#[test]
fn a_directory_renamed_into_place_is_left_as_it_is() {
    // Build in a temporary directory, then rename it to its final place:
    // neither close nor drop may follow it there.
    let scratch = Scratch::new("renamed");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    build_tree(dir.path(), 1, 2, 2);
    let published = scratch.join("published");
    fs::rename(dir.path(), &published).unwrap();
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(published.join("d1/f1").is_file());

    let dir = TempDir::new_in(scratch.path()).unwrap();
    build_tree(dir.path(), 1, 2, 2);
    let published = scratch.join("published-too");
    fs::rename(dir.path(), &published).unwrap();
    drop(dir);
    assert!(published.join("d1/f1").is_file());
}

#[test]
fn another_directory_in_its_place_is_left_as_it_is() {
    let scratch = Scratch::new("replaced");
    let dir = TempDir::new_in(scratch.path()).unwrap();
    build_tree(dir.path(), 1, 1, 1);
    fs::rename(dir.path(), scratch.join("ours")).unwrap();
    fs::create_dir(dir.path()).unwrap();
    fs::write(dir.path().join("theirs"), b"not yours").unwrap();
    let path = dir.path().to_path_buf();
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert_eq!(fs::read(path.join("theirs")).unwrap(), b"not yours");
    assert!(scratch.join("ours/d0/f0").is_file());
}

#[test]
fn its_directory_removed_and_made_again_by_its_own_user_is_removed() {
    // A test whose own code removes the directory and makes it again at
    // the same path: the tempfile crate and Python remove what stands
    // there, and so do close and drop.
    let scratch = Scratch::new("remade");
    for close in [true, false] {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        fs::remove_dir(dir.path()).unwrap();
        remake(dir.path());
        build_tree(dir.path(), 1, 2, 2);
        if close {
            dir.close().unwrap();
        } else {
            drop(dir);
        }
        assert!(scratch.entries().is_empty(), "close: {close}");
    }
}

/// Makes the directory `path` again as its program would, mode 0755
/// whatever the umask (a replacement group or others can write is never
/// removed).
fn remake(path: &Path) {
    fs::create_dir(path).unwrap();
    testkit::set_mode(path, 0o755);
}

#[test]
fn its_own_user_s_directory_in_a_parent_others_can_change_is_left() {
    // In a world-writable parent without the sticky bit another user can
    // rename a directory of ours into the place: it is not removed.
    let scratch = Scratch::new("open-parent");
    testkit::set_mode(scratch.path(), 0o777);
    let dir = TempDir::new_in(scratch.path()).unwrap();
    let path = dir.path().to_path_buf();
    fs::remove_dir(&path).unwrap();
    remake(&path);
    fs::write(path.join("f"), b"kept").unwrap();
    let err = dir.close().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("other users can change"), "{err}");
    assert_eq!(fs::read(path.join("f")).unwrap(), b"kept");
}

#[test]
fn an_ancestor_replaced_by_a_symlink_cannot_redirect_cleanup() {
    // The path above the TempDir is renamed and replaced by a symlink to
    // a directory holding an entry of the same name. Removal by path would
    // empty that one; removal through the held descriptors removes ours.
    let scratch = Scratch::new("ancestor");
    let parent = scratch.join("parent");
    fs::create_dir(&parent).unwrap();
    let dir = TempDir::new_in(&parent).unwrap();
    build_tree(dir.path(), 2, 2, 2);
    let name = dir.path().file_name().unwrap().to_owned();
    let decoy = scratch.join("decoy");
    fs::create_dir_all(decoy.join(&name)).unwrap();
    let canaries = plant_canaries(&decoy.join(&name));
    fs::rename(&parent, scratch.join("renamed")).unwrap();
    link(&decoy, &parent);

    dir.close().unwrap();
    assert_canaries(&canaries);
    assert!(
        fs::read_dir(scratch.join("renamed"))
            .unwrap()
            .next()
            .is_none(),
        "the real TempDir should be gone from the renamed parent"
    );
}

#[test]
fn a_concurrent_deleter_is_tolerated() {
    let scratch = fast_scratch("two-deleters");
    for _ in 0..50 {
        let dir = TempDir::new_in(scratch.path()).unwrap();
        build_tree(dir.path(), 3, 3, 4);
        let path = dir.path().to_path_buf();
        let other = thread::spawn(move || {
            let _ = fs::remove_dir_all(path);
        });
        dir.close().unwrap();
        other.join().unwrap();
        assert!(scratch.entries().is_empty());
    }
}
