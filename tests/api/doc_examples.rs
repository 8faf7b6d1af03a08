//! Doc examples run: a `no_run` example (one that compiles but is not run) is allowed only
//! where the code needs what CI lacks (Google credentials, a real project), and says so on
//! its first line, `# // no_run: why`.

use std::path::Path;

use crate::architecture::rust_files;

#[test]
fn every_no_run_example_says_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("EMULATOR.md")];
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("build"), &mut files);
    let mut found = 0;
    let mut unexplained = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            // A fence opening a no_run block, in Markdown or in a doc comment.
            let fence = line
                .trim_start()
                .trim_start_matches("//!")
                .trim_start_matches("///")
                .trim();
            if !(fence.starts_with("```") && fence.contains("no_run")) {
                continue;
            }
            found += 1;
            let next = lines.get(i + 1).map_or("", |l| {
                l.trim_start()
                    .trim_start_matches("//!")
                    .trim_start_matches("///")
                    .trim()
            });
            if !next.starts_with("# // no_run: ") {
                unexplained.push(format!("{}:{}", file.display(), i + 1));
            }
        }
    }
    assert!(found > 0, "the scan finds the known no_run examples");
    assert!(
        unexplained.is_empty(),
        "no_run examples without a `# // no_run: why` first line: {unexplained:?}"
    );
}
