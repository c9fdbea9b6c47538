//! Making chosen system calls fail, to prove that library code really
//! makes them (Linux `seccomp`): a test installs a filter in a forked
//! child, so that, say, every `fsync` fails with an errno no real `fsync`
//! returns, then checks that the code under test reports exactly that
//! errno. If the code never made the call, it could not report the error.
//!
//! Only for forked children ([`crate::child::run`]): the filter stays for
//! the life of the thread that installs it and cannot be removed.

/// Makes the system calls numbered `syscalls` (`libc::SYS_*`) fail with
/// `errno` in the calling thread from now on, except when their first
/// argument is `spare_arg0` (for instance one file descriptor whose
/// `fsync` should still work). Sets `PR_SET_NO_NEW_PRIVS`, which an
/// unprivileged filter needs. Panics if the kernel refuses the filter.
pub fn fail_syscalls(syscalls: &[libc::c_long], errno: i32, spare_arg0: Option<u32>) {
    // seccomp_data: nr (u32) at 0, arch at 4, ip at 8, args[6] (u64) at 16;
    // the filter compares the low 32 bits of args[0].
    let arg0_low = if cfg!(target_endian = "little") {
        16
    } else {
        20
    };
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let n = syscalls.len();
    assert!(n < 200, "too many system calls for one-byte jumps");
    let mut program = vec![stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0)];
    for (i, &nr) in syscalls.iter().enumerate() {
        // On a match jump past the remaining tests and the "allow" below.
        program.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: (n - i) as u8,
            jf: 0,
            k: nr as u32,
        });
    }
    program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    if let Some(arg) = spare_arg0 {
        program.push(stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, arg0_low));
        program.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: arg,
        });
        program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    }
    program.push(stmt(
        libc::BPF_RET | libc::BPF_K,
        libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA),
    ));
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls; `fprog` points at `program`, which lives
    // until the kernel has copied it during the call.
    unsafe {
        assert_eq!(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            0,
            "PR_SET_NO_NEW_PRIVS: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &fprog as *const libc::sock_fprog
            ),
            0,
            "PR_SET_SECCOMP: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child::{Outcome, run};
    use std::os::fd::AsRawFd;

    #[test]
    fn chosen_calls_fail_and_spared_argument_passes() {
        let outcome = run(|| {
            let a = std::fs::File::open("/proc/self/exe").unwrap();
            let b = std::fs::File::open("/proc/self/exe").unwrap();
            fail_syscalls(
                &[libc::SYS_fsync, libc::SYS_fdatasync],
                libc::EDOM,
                Some(a.as_raw_fd() as u32),
            );
            a.sync_all().expect("the spared descriptor still syncs");
            let err = b.sync_all().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EDOM));
            let err = b.sync_data().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EDOM));
            // Other calls are untouched.
            assert!(b.metadata().is_ok());
        });
        assert_eq!(outcome, Outcome::Passed);
    }
}
