//! The layering of ARCHITECTURE.md, checked on the source: which module of the crate may
//! refer to which (`crate::x` paths, `super::` climbing to the crate root, and the crate
//! root's re-exports such as `crate::Client`). It fails when someone adds an import that
//! breaks a rule, naming the file and line. Comment lines (docs included) are not code and
//! are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules of the thin layer and the shared domain modules (the `cycle` check covers
/// them); the generated packages (`v1`, `longrunning`, ...) are leaves.
const LAYERED: &[&str] = &[
    "methods",
    "wire",
    "names",
    "reflect",
    "field_mask",
    "error",
    "policy",
    "telemetry",
    "transport",
    "lro",
    "paging",
    "client",
    "emulator",
    "mock",
];

/// What each module may use, besides the generated code: the rule of ARCHITECTURE.md.
const ALLOWED: &[(&str, &[&str])] = &[
    ("methods", &[]),
    ("wire", &[]),
    ("names", &[]),
    ("reflect", &[]),
    ("field_mask", &["reflect"]),
    ("error", &["names", "field_mask", "wire"]),
    ("policy", &["methods", "error"]),
    ("telemetry", &["methods", "error"]),
    ("transport", &["methods", "wire", "error"]),
    ("lro", &["error", "policy"]),
    ("paging", &["methods", "error"]),
    (
        "client",
        &[
            "methods",
            "wire",
            "names",
            "reflect",
            "field_mask",
            "error",
            "policy",
            "telemetry",
            "transport",
            "lro",
            "paging",
        ],
    ),
    (
        "emulator",
        &["methods", "wire", "names", "reflect", "field_mask"],
    ),
    ("mock", &["methods", "wire"]),
];

/// Crate-root items that stand for a module (`pub use` in lib.rs).
const ROOT_REEXPORTS: &[(&str, &str)] = &[
    ("Client", "client"),
    ("ClientBuilder", "client"),
    ("Call", "client"),
    ("Method", "methods"),
    ("Error", "error"),
    ("ErrorKind", "error"),
    ("Operation", "lro"),
    ("Pager", "paging"),
    ("Items", "paging"),
];

/// One reference from a file to a module of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    line: usize,
    module: String,
}

/// The crate modules `source` (a file whose module is `depth` levels below the crate root:
/// 1 for `src/lro.rs` and `src/client/mod.rs`, 2 for `src/client/call.rs`) refers to.
fn references(source: &str, depth: usize) -> Vec<Reference> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut push = |name: &str| {
            let module = ROOT_REEXPORTS
                .iter()
                .find(|(item, _)| *item == name)
                .map_or(name, |(_, module)| module);
            out.push(Reference {
                line: i + 1,
                module: module.to_owned(),
            });
        };
        for root in crate_roots(code, depth) {
            let rest = &code[root..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c};`: every top-level name of the group.
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let name = item.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() {
                        push(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    push(&name);
                }
            }
        }
    }
    out
}

/// Byte offsets just after every path prefix that means the crate root: `crate::`,
/// `$crate::` and `super::` repeated `depth` times (not as part of a longer identifier).
fn crate_roots(code: &str, depth: usize) -> Vec<usize> {
    let mut roots = Vec::new();
    let bytes = code.as_bytes();
    let starts_word =
        |at: usize| at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
    let mut at = 0;
    while let Some(found) = code[at..].find("crate::") {
        let start = at + found;
        let dollar = start > 0 && bytes[start - 1] == b'$';
        if dollar || starts_word(start) {
            roots.push(start + "crate::".len());
        }
        at = start + 1;
    }
    if depth > 0 {
        let prefix = "super::".repeat(depth);
        let mut at = 0;
        while let Some(found) = code[at..].find(&prefix) {
            let start = at + found;
            let end = start + prefix.len();
            if starts_word(start) && !code[end..].starts_with("super::") {
                roots.push(end);
            }
            at = end;
        }
    }
    roots
}

/// Every `.rs` file under `dir`, recursively.
pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to and how deep its own module is.
fn module_of(src: &Path, file: &Path) -> Option<(String, usize)> {
    let relative = file.strip_prefix(src).ok()?;
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let top = parts.first()?.trim_end_matches(".rs").to_owned();
    // `x.rs` and `x/mod.rs` are depth 1; `x/y.rs` depth 2; `x/y/mod.rs` depth 2; ...
    let last = parts.last()?;
    let depth = if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    };
    Some((top, depth))
}

/// Every violation of [`ALLOWED`] in the crate's sources, and the module graph.
fn scan() -> (Vec<String>, BTreeMap<String, BTreeSet<String>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 50,
        "found only {} source files under {}",
        files.len(),
        src.display()
    );
    let mut violations = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some((module, depth)) = module_of(&src, file) else {
            continue;
        };
        let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) else {
            continue;
        };
        let source = std::fs::read_to_string(file).expect("read a source file");
        for reference in references(&source, depth) {
            if reference.module == module || !LAYERED.contains(&reference.module.as_str()) {
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .insert(reference.module.clone());
            if !allowed.contains(&reference.module.as_str()) {
                violations.push(format!(
                    "{}:{}: `{module}` uses `{}`, which ARCHITECTURE.md does not allow (allowed: {})",
                    file.strip_prefix(&src).unwrap_or(file).display(),
                    reference.line,
                    reference.module,
                    if allowed.is_empty() { "only the generated code".to_owned() } else { allowed.join(", ") },
                ));
            }
        }
    }
    (violations, graph)
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let (violations, _) = scan();
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_modules_form_no_cycle() {
    let (_, graph) = scan();
    // Depth-first search for a back edge; the path to it is the cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap_or_default().join(" -> ")
        );
    }
}

#[test]
fn the_rules_themselves_have_no_cycle() {
    // A rule that allowed a cycle would let one in unnoticed.
    for (module, allowed) in ALLOWED {
        for other in *allowed {
            let back = ALLOWED
                .iter()
                .find(|(m, _)| m == other)
                .map_or(&[][..], |(_, a)| a);
            assert!(
                !back.contains(module),
                "{module} and {other} may use each other"
            );
        }
    }
}

#[test]
fn the_scanner_sees_every_form_of_import() {
    let refs = |source: &str, depth| -> Vec<String> {
        references(source, depth)
            .into_iter()
            .map(|r| r.module)
            .collect()
    };
    assert_eq!(refs("use crate::client::Rpc;", 2), ["client"]);
    assert_eq!(
        refs("use crate::{lro, paging::Pager};", 1),
        ["lro", "paging"]
    );
    assert_eq!(refs("let c: crate::Client = todo();", 1), ["client"]);
    assert_eq!(
        refs("use super::super::policy::CallOptions;", 2),
        ["policy"]
    );
    assert_eq!(refs("use super::store::State;", 2), Vec::<String>::new());
    assert_eq!(refs("use super::policy::X;", 1), ["policy"]);
    assert_eq!(
        refs("$crate::transport::routing_header(a, b)", 1),
        ["transport"]
    );
    assert_eq!(
        refs("/// [`Client`](crate::Client)", 1),
        Vec::<String>::new()
    );
    assert_eq!(refs("pub(crate) fn f() {}", 1), Vec::<String>::new());
    assert_eq!(refs("mycrate::client::X", 1), Vec::<String>::new());
}

#[test]
fn an_emulator_file_importing_the_client_would_fail() {
    // What `scan` does for one file, on a made-up emulator file.
    let source =
        "use super::store::State;\nuse crate::client::Client;\nuse crate::methods::Method;\n";
    let (_, allowed) = ALLOWED
        .iter()
        .find(|(m, _)| *m == "emulator")
        .expect("emulator rule");
    let bad: Vec<Reference> = references(source, 2)
        .into_iter()
        .filter(|r| !allowed.contains(&r.module.as_str()))
        .collect();
    assert_eq!(
        bad,
        [Reference {
            line: 2,
            module: "client".to_owned()
        }]
    );
}

#[test]
fn a_mock_file_importing_the_client_or_the_emulator_would_fail() {
    let source = "use crate::methods::Request;\nuse crate::lro::Operation;\nuse crate::emulator::Emulator;\n";
    let (_, allowed) = ALLOWED
        .iter()
        .find(|(m, _)| *m == "mock")
        .expect("mock rule");
    let bad: Vec<String> = references(source, 2)
        .into_iter()
        .filter(|r| !allowed.contains(&r.module.as_str()))
        .map(|r| r.module)
        .collect();
    assert_eq!(bad, ["lro", "emulator"]);
}
