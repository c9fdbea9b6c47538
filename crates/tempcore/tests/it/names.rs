//! Random names: shape, alphabet, uniqueness, and fork safety.

use std::collections::HashSet;

use proptest::prelude::*;
use tempcore::{ALPHABET, DEFAULT_RAND_LEN, Template, random_name};

/// Any prefix or suffix a user could legally pass: no '/' and no NUL
/// (plus no '\' or ':' on Windows), up to 40 characters of arbitrary Unicode.
fn affix() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..40).prop_map(|chars| {
        chars
            .into_iter()
            .filter(|c| !matches!(c, '/' | '\0' | '\\' | ':'))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn names_are_prefix_random_suffix(prefix in affix(), suffix in affix(), len in 1usize..40) {
        let name = random_name(&prefix, &suffix, len).unwrap();
        let name = name.to_str().unwrap();
        prop_assert!(name.starts_with(&prefix));
        prop_assert!(name.ends_with(&suffix));
        let random = &name[prefix.len()..name.len() - suffix.len()];
        prop_assert_eq!(random.len(), len);
        prop_assert!(random.bytes().all(|b| ALPHABET.contains(&b)), "{random:?}");
    }

    #[test]
    fn random_parts_past_the_name_limit_are_invalid_input(
        prefix in affix(),
        suffix in affix(),
        len in prop_oneof![
            Just(usize::MAX),
            Just(usize::MAX / 2 + 1),
            (usize::MAX - 512)..=usize::MAX,
            256usize..100_000,
        ],
    ) {
        // The extremes once overflowed the length sum (a panic, or in a
        // release build a wrapped length that was accepted).
        let err = random_name(&prefix, &suffix, len).unwrap_err();
        prop_assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        prop_assert!(err.to_string().contains("random part"), "{}", err);
        prop_assert!(Template::new(&prefix, &suffix, len).is_err());
    }

    #[test]
    fn separators_are_always_refused(prefix in affix(), at in 0usize..40, nul in any::<bool>()) {
        let bad = if nul { '\0' } else { '/' };
        let mut poisoned = prefix.clone();
        let at = poisoned.char_indices().map(|(i, _)| i).nth(at).unwrap_or(poisoned.len());
        poisoned.insert(at, bad);
        let err = random_name(&poisoned, "", 8).unwrap_err();
        prop_assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        prop_assert!(err.to_string().contains("prefix"));
        let err = random_name("", &poisoned, 8).unwrap_err();
        prop_assert!(err.to_string().contains("suffix"));
    }
}

#[test]
fn hundred_thousand_names_are_unique_even_case_folded() {
    let template = Template::default();
    let mut seen = HashSet::with_capacity(100_000);
    for _ in 0..100_000 {
        let name = template.generate().unwrap().into_string().unwrap();
        assert!(seen.insert(name.to_lowercase()), "repeated name {name}");
    }
}

#[test]
fn default_random_part_carries_64_bits() {
    assert!(DEFAULT_RAND_LEN as u32 * tempcore::BITS_PER_CHAR >= 64);
    let name = random_name("tmp", "", DEFAULT_RAND_LEN).unwrap();
    assert_eq!(name.len(), 3 + DEFAULT_RAND_LEN);
}

#[cfg(unix)]
#[test]
fn parent_and_child_draw_different_names_after_fork() {
    use std::io::Read;
    let scratch = testkit::Scratch::new("fork-names");
    let out = scratch.join("child-names");
    // Warm this thread's pool first: a child that inherited it unwiped
    // would replay exactly the names the parent draws next.
    let template = Template::default();
    template.generate().unwrap();
    let child_out = out.clone();
    testkit::child::check(move || {
        let names: Vec<String> = (0..200)
            .map(|_| template.generate().unwrap().into_string().unwrap())
            .collect();
        std::fs::write(&child_out, names.join("\n")).unwrap();
    });
    let parent: HashSet<String> = (0..200)
        .map(|_| template.generate().unwrap().into_string().unwrap())
        .collect();
    let mut text = String::new();
    std::fs::File::open(&out)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let child: HashSet<String> = text.lines().map(str::to_string).collect();
    assert_eq!(child.len(), 200);
    assert!(parent.is_disjoint(&child), "parent and child shared names");
}
