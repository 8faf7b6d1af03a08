#!/usr/bin/env bash
# EMULATOR.md "Driving it from another process", run end to end (CI runs this): a standalone
# `livestream emulator` in one process, controlled from others through the CLI's controls
# (`livestream emulator <control>`) and through the typed admin client (the
# `emulator_control` example, which finds it through LIVESTREAM_EMULATOR_HOST).
set -euo pipefail
cd "$(dirname "$0")/.."

# All features: the same build as `cargo test --all-features`, so CI builds nothing new.
cargo build --locked --quiet --all-features --bin livestream --example emulator_control
bin=target/debug/livestream
. scripts/start-emulator.sh
start_emulator "$bin"
export LIVESTREAM_PROJECT=my-project LIVESTREAM_LOCATION=us-central1

# --- the shell: what EMULATOR.md shows ---
"$bin" emulator lro-timing manual
"$bin" inputs create studio --type rtmp-push --async >/dev/null
completed=$("$bin" emulator complete-operation --all)
echo "completed: $completed"
test -n "$completed"
"$bin" emulator inject-faults GetInput UNAVAILABLE
"$bin" inputs describe studio >/dev/null          # the client's retries absorb the fault
test "$("$bin" emulator call-counts GetInput)" = 2
"$bin" emulator advance-clock 1h
"$bin" emulator reset
test "$("$bin" emulator call-counts GetInput)" = 0
"$bin" emulator lro-timing instant

# --- the typed admin client, from a second Rust process ---
target/debug/examples/emulator_control
echo "emulator-control: ok"
