//! buffering
