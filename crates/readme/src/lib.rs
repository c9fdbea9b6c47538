//! Nothing to link against: the root `README.md`'s examples, compiled and
//! run as doctests by `cargo test` (`cargo xtask ci test`) with only the
//! packages its install lines add (see `Cargo.toml`), and checked for what
//! a reader on GitHub sees: whole programs, no hidden lines, and each
//! using only the packages its heading names.

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    /// The README, as GitHub shows it.
    const README: &str = include_str!("../../../README.md");

    /// Each crate name code may use, and the package that provides it
    /// (the package a heading must name, in backticks, and a `cargo add`
    /// line must add).
    const CRATES: &[(&str, &str)] = &[
        ("tempfs", "tempkit-fs"),
        ("tempspool", "tempspool"),
        ("tempcore", "tempcore"),
        ("tempkit", "tempkit"),
        ("tempfile", "tempkit"),
    ];

    /// Each Rust code block with the heading above it.
    fn rust_blocks() -> Vec<(&'static str, String)> {
        let mut blocks = Vec::new();
        let mut heading = "";
        // Inside a code block: `Some` with the code so far if it is Rust.
        let mut block: Option<Option<String>> = None;
        for line in README.lines() {
            match &mut block {
                Some(code) if line.starts_with("```") => {
                    if let Some(code) = code.take() {
                        blocks.push((heading, code));
                    }
                    block = None;
                }
                Some(Some(code)) => {
                    code.push_str(line);
                    code.push('\n');
                }
                Some(None) => {}
                None if line.starts_with("```") => {
                    block = Some(line.starts_with("```rust").then(String::new));
                }
                None if line.starts_with('#') => heading = line,
                None => {}
            }
        }
        blocks
    }

    /// Whether `code` names the crate `name` as a path root (`name::`).
    fn uses(code: &str, name: &str) -> bool {
        code.match_indices(&format!("{name}::")).any(|(at, _)| {
            code[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
        })
    }

    #[test]
    fn every_example_is_a_whole_program_without_hidden_lines() {
        let blocks = rust_blocks();
        assert!(blocks.len() >= 7, "found {} Rust blocks", blocks.len());
        for (heading, code) in &blocks {
            assert!(
                code.contains("fn main() -> std::io::Result<()>"),
                "under {heading:?}, not a whole program:\n{code}"
            );
            let hidden = code.lines().find(|l| {
                let l = l.trim_start();
                l == "#" || l.starts_with("# ")
            });
            assert_eq!(hidden, None, "under {heading:?}, a line rustdoc hides");
        }
    }

    #[test]
    fn every_example_uses_only_the_packages_its_heading_names() {
        for (heading, code) in rust_blocks() {
            for (name, package) in CRATES {
                if uses(&code, name) {
                    assert!(
                        heading.contains(&format!("`{package}`")),
                        "under {heading:?}, the code uses `{name}`: the heading must name `{package}`"
                    );
                    assert!(
                        README.contains(&format!("cargo add {package}")),
                        "no `cargo add {package}` line for the code under {heading:?}"
                    );
                }
            }
        }
    }
}
