//! The vendored protos are exactly the files recorded in `proto/SHA256SUMS` (written by
//! `scripts/update-protos.sh`), and nothing outside that list hides under `proto/google`.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn proto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("proto")
}

fn recorded() -> Vec<(String, String)> {
    let sums = std::fs::read_to_string(proto_dir().join("SHA256SUMS")).expect("proto/SHA256SUMS");
    sums.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (sum, file) = line.split_once("  ").expect("`<sha256>  <path>` lines");
            (sum.to_owned(), file.to_owned())
        })
        .collect()
}

#[test]
fn vendored_files_match_recorded_checksums() {
    let entries = recorded();
    assert_eq!(entries.len(), 15, "the vendored set has 15 files");
    for (sum, file) in &entries {
        let bytes = std::fs::read(proto_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let actual: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            &actual, sum,
            "{file} differs from proto/SHA256SUMS; re-vendor with scripts/update-protos.sh"
        );
    }
}

#[test]
fn no_unrecorded_proto_under_google() {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("readable proto dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let rel = path.strip_prefix(proto_dir()).expect("under proto/");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(&proto_dir().join("google"), &mut found);
    found.sort();
    let mut listed: Vec<String> = recorded().into_iter().map(|(_, f)| f).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
fn readme_table_agrees_with_checksum_file() {
    let readme = std::fs::read_to_string(proto_dir().join("README.md")).expect("proto/README.md");
    assert!(
        readme.contains("google-proto-files@6.0.1"),
        "README names the package version"
    );
    for (sum, file) in recorded() {
        assert!(
            readme.contains(&format!("| `{file}` |")) && readme.contains(&sum),
            "{file} missing from proto/README.md"
        );
    }
}
