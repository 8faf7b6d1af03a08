//! The API surface itself, without the client or the emulator's behaviour: the embedded
//! descriptor set, the vendored protos' checksums, the generated stubs talking to each
//! other, the typed resource names, the README's quickstart example run end to end, the
//! layering rule of ARCHITECTURE.md checked on the sources, and that doc examples run.

mod architecture;
mod descriptor_set;
mod doc_examples;
mod names_compare;
mod names_proptest;
mod proto_checksums;
mod quickstart;
mod readme_dependencies;
mod stub_round_trip;
