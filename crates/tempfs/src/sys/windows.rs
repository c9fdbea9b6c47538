//! Windows specifics of tempfs.

use std::fs::Permissions;

/// Windows has no permission bits: the defaults stand.
pub(crate) fn mode_of(permissions: &Permissions) -> u32 {
    if permissions.readonly() {
        0o400
    } else {
        tempcore::FILE_MODE
    }
}
