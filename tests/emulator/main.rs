//! The emulator through real gRPC with the generated clients: one test binary for all the
//! emulator tests (resources, lists, long-running operations, controls, persistence, the
//! sharp edges it reproduces, property tests).

mod emulator_support;
#[cfg(feature = "rest")]
mod rest_support;

mod emulator_channels;
mod emulator_controls;
mod emulator_fuzz;
mod emulator_lists;
mod emulator_lro;
mod emulator_malformed;
mod emulator_persistence;
mod emulator_props;
mod emulator_remote;
mod emulator_resources;
#[cfg(feature = "rest")]
mod emulator_rest;
mod emulator_retention;
mod emulator_secrets;
mod emulator_sharp_edges;
mod emulator_time_props;
