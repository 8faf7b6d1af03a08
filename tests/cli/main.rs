//! The `livestream` command-line tool end to end: one test binary for all the CLI tests,
//! which run the built binary against an emulator started in the test process.
#![cfg(feature = "cli")]

mod cli_support;

mod cli_assets_pools;
mod cli_channel_children;
mod cli_channels;
mod cli_emulator_control;
mod cli_inputs;
mod cli_operations;
