//! The `Client`: one test binary for its tests against `common`'s scripted fake server
//! (`client_*`, `field_masks`) and against the emulator (`client_emulator_*`).
//!
//! Two client tests have binaries of their own, because they touch process-wide state:
//! `tests/client_emulator_env.rs` sets `LIVESTREAM_EMULATOR_HOST`, which every
//! `ClientBuilder::build` here may read, and `tests/client_tracing.rs` installs a tracing
//! subscriber, whose per-callsite interest cache is global.

mod client_emulator_support;
mod common;
#[path = "../emulator/emulator_support.rs"]
mod emulator_support;

mod client_auth;
mod client_emulator_ergonomics;
mod client_emulator_lro;
mod client_emulator_masks;
mod client_emulator_paging;
mod client_emulator_policies;
mod client_emulator_polling;
mod client_emulator_retry;
mod client_emulator_rpcs;
mod client_lro;
mod client_paging;
mod client_retry;
mod client_rpcs;
mod client_tls;
mod field_masks;
mod mock;
