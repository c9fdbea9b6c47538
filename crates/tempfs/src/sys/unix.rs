//! Unix specifics of tempfs.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;

/// The permission bits of `permissions`.
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    permissions.mode() & 0o7777
}
