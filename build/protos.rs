//! The protos themselves: prost messages and tonic client + server stubs (`_includes.rs`
//! and one file per package; the emulator's own package gated on its feature), and the
//! encoded descriptor set (`file_descriptor_set.bin`).

use std::path::Path;

use crate::util::{BoxError, write_if_changed};

/// The embedded descriptor set: encoded by protox itself (prost_types would drop the
/// extension options such as `google.api.http`), without source info (comments only cost
/// bytes at runtime).
pub(crate) fn descriptor_set(
    proto_root: &Path,
    entry_files: &[&str],
    out_dir: &Path,
) -> Result<(), BoxError> {
    let mut runtime = protox::Compiler::new([proto_root])?;
    runtime
        .include_imports(true)
        .include_source_info(false)
        .open_files(entry_files)?;
    for file in runtime.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    write_if_changed(
        &out_dir.join("file_descriptor_set.bin"),
        &runtime.encode_file_descriptor_set(),
    )
}

/// Messages and stubs, through tonic-prost-build.
pub(crate) fn stubs(fds: prost_types::FileDescriptorSet, out_dir: &Path) -> Result<(), BoxError> {
    let mut config = prost_build::Config::new();
    // `prost::Name` impls: type URLs for packing and checking `google.protobuf.Any`.
    config.enable_type_names();
    config.type_name_domain(["."], "type.googleapis.com");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .server_mod_attribute(".", r#"#[cfg(feature = "server")]"#)
        .generate_default_stubs(true) // unimplemented trait methods answer UNIMPLEMENTED
        .include_file("_includes.rs")
        .compile_fds_with_config(fds, config)?;
    gate_emulator_protos(&out_dir.join("_includes.rs"))
}

/// The emulator's own protos (`livestream.emulator.v1`: the admin service and the persisted
/// state) share the compiler run and the descriptor set with the API, but only the `emulator`
/// feature uses them: without it their messages would be dead code (warnings) and compile
/// time in every build. So their module in the include file gets that feature's cfg.
fn gate_emulator_protos(includes: &Path) -> Result<(), BoxError> {
    const MODULE: &str = "\npub mod livestream {\n";
    const GATED: &str = "\n#[cfg(feature = \"emulator\")]\npub mod livestream {\n";
    let text = std::fs::read_to_string(includes)?;
    if text.contains(GATED) {
        return Ok(());
    }
    if text.matches(MODULE).count() != 1 {
        return Err(format!(
            "{}: expected one top-level `pub mod livestream` (the emulator's protos)",
            includes.display()
        )
        .into());
    }
    write_if_changed(includes, text.replacen(MODULE, GATED, 1).as_bytes())
}
