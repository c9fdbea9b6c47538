//! Behaviour tests of tempfs, one module per topic.

mod tempdir;
