//! The README's first command, `cargo run --example quickstart`, runs to completion against
//! the embedded emulator: this test runs the example's own `run` (the file is compiled in as
//! a module, so it is exactly the code users run).

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/quickstart.rs"]
#[allow(clippy::module_inception)] // `quickstart::quickstart`: the example in its test
mod quickstart;

#[tokio::test(flavor = "current_thread")]
async fn quickstart_runs_to_completion_on_the_emulator() {
    let result = quickstart::run(quickstart::Args::default()).await;
    assert!(result.is_ok(), "quickstart failed: {result:?}");
}
