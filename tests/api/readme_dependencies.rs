//! Every crate the README's and EMULATOR.md's Rust examples use is one the README's "Adding
//! it" section tells a user to add (issue 12, item 4): the doctests themselves cannot catch
//! a missing one, since they see every dev-dependency of this crate.

use std::collections::BTreeSet;

const README: &str = include_str!("../../README.md");
const EMULATOR: &str = include_str!("../../EMULATOR.md");
const MANIFEST: &str = include_str!("../../Cargo.toml");

/// The Rust code blocks of a Markdown file, hidden (`# `) lines included.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.starts_with("rust") => current = Some(String::new()),
            (Some(block), Some(_)) => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), None) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The crate names (with `_`) of every dependency of this package, dev ones included.
fn dependencies() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_deps = false;
    for line in MANIFEST.lines() {
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]");
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with('#') {
                names.insert(name.replace('-', "_"));
            }
        }
    }
    names
}

/// The path roots (`tonic` in `tonic::Code`) used in `code`, not preceded by `::`.
fn path_roots(code: &str) -> BTreeSet<String> {
    let bytes = code.as_bytes();
    let mut roots = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let ident_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if ident_char(bytes[i]) && (i == 0 || !ident_char(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && ident_char(bytes[i]) {
                i += 1;
            }
            let preceded = start >= 2 && &code[start - 2..start] == "::";
            if !preceded && code[i..].starts_with("::") {
                roots.insert(code[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    roots
}

#[test]
fn every_crate_the_examples_use_is_in_adding_it() {
    let adding_it = README
        .split("## Adding it")
        .nth(1)
        .and_then(|s| s.split("```toml").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the README's Adding it section has a toml block");
    let listed: BTreeSet<String> = adding_it
        .lines()
        .filter_map(|l| l.trim_start_matches(['#', ' ']).split_once('='))
        .map(|(name, _)| name.trim().replace('-', "_"))
        .collect();
    assert!(listed.contains("tokio") && listed.contains("livestream_grpc"));
    let dependencies = dependencies();
    let mut missing = BTreeSet::new();
    for block in rust_blocks(README).iter().chain(&rust_blocks(EMULATOR)) {
        for root in path_roots(block) {
            if dependencies.contains(&root) && !listed.contains(&root) {
                missing.insert(root);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the examples use crates the README's Adding it does not list: {missing:?}"
    );
}

#[test]
fn the_scanner_sees_crate_roots_only() {
    let roots = path_roots("use tonic::Code;\nlet x = a::b::c; livestream_grpc::tonic::Status");
    assert_eq!(
        roots,
        ["a", "livestream_grpc", "tonic"].map(String::from).into()
    );
}
