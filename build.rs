//! Compiles the vendored protos with protox (pure Rust: no protoc anywhere) and generates,
//! one module under `build/` per artifact in `OUT_DIR`:
//!
//! | module | artifact | included by |
//! |---|---|---|
//! | `protos` | prost messages, tonic stubs (`_includes.rs`), `file_descriptor_set.bin` | `src/generated.rs`, `src/lib.rs` |
//! | `api_table` | `api_table.rs`: `Method`, the request traits' impls, `for_each_rpc!` | `src/api.rs` |
//! | `names` | `resource_names.rs`: the typed resource names | `src/names.rs` |
//! | `client_methods` | `client_methods.rs`: the 41 documented `Client` methods, each with an example from `doc_examples` that runs on an in-process emulator | `src/client/methods.rs` |
//! | `snapshot` | `api_surface.txt`: the generated public surface, as text | the `api_snapshot` test |
//!
//! Every generator reads the same model (`build/model.rs`), read once off the proto
//! annotations, so nothing per RPC is written by hand.

#[path = "build/api_table.rs"]
mod api_table;
#[path = "build/client_methods.rs"]
mod client_methods;
#[path = "build/doc_examples.rs"]
mod doc_examples;
#[path = "build/model.rs"]
mod model;
#[path = "build/names.rs"]
mod names;
#[path = "build/protos.rs"]
mod protos;
#[path = "build/snapshot.rs"]
mod snapshot;
#[path = "build/util.rs"]
mod util;

use std::path::PathBuf;

use util::{BoxError, write_if_changed};

/// Files we compile; everything they import comes along (`include_imports`).
const ENTRY_FILES: &[&str] = &[
    "google/cloud/video/livestream/v1/service.proto",
    "google/longrunning/operations.proto",
    "google/cloud/location/locations.proto",
    // This project's own: the emulator admin service and its persisted state.
    "livestream/emulator/v1/admin.proto",
    "livestream/emulator/v1/state.proto",
];

/// Files only the embedded descriptor set needs, with no generated Rust: the `google.rpc`
/// error details, so that the proto3 JSON of an error's details (`google.protobuf.Any`, which
/// needs its type's descriptor) works in the emulator's REST layer.
const DESCRIPTOR_ONLY_FILES: &[&str] = &["google/rpc/error_details.proto"];

fn main() -> Result<(), BoxError> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let proto_root = manifest_dir.join("proto");

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler
        .include_imports(true) // prost needs every referenced message
        .include_source_info(true) // proto comments become rustdoc
        .open_files(ENTRY_FILES)?;

    // tonic-prost-build and prost-build emit no rerun-if-changed lines of their own; without
    // ours Cargo reruns this script whenever any file of the package changes.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    for file in compiler.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }

    // `gl-rust/<version>` of the x-goog-api-client header: the compiler that builds us. Cargo
    // reruns build scripts when the toolchain changes, so no rerun-if line is needed.
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LIVESTREAM_GRPC_RUSTC_VERSION={rustc_version}");

    let fds = compiler.file_descriptor_set();
    let pool = compiler.descriptor_pool();
    let patterns = model::name_patterns(&pool);
    let rpcs = model::rpcs(&pool, &fds, &patterns)?;

    let runtime_files = [ENTRY_FILES, DESCRIPTOR_ONLY_FILES].concat();
    protos::descriptor_set(&proto_root, &runtime_files, &out_dir)?;
    let artifacts = [
        ("api_table.rs", api_table::generate(&rpcs)?),
        ("resource_names.rs", names::generate(&patterns)?),
        ("client_methods.rs", client_methods::generate(&rpcs)?),
        ("api_surface.txt", snapshot::generate(&rpcs, &patterns)?),
    ];
    for (file, content) in artifacts {
        write_if_changed(&out_dir.join(file), content.as_bytes())?;
    }
    protos::stubs(fds, &out_dir)?;
    Ok(())
}
