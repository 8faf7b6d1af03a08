#!/usr/bin/env bash
# Google's REST clients against one standalone emulator that serves REST and gRPC on one
# port (issue 14; EMULATOR.md, "REST"):
#
#   benches/compat/run.sh           # the three workflows (CI runs this)
#   benches/compat/run.sh python    # scripts/python-workflow.py rest: Google's Python client,
#                                   #   transport="rest", http:// endpoint, anonymous credentials
#   benches/compat/run.sh rust      # compat/google-rust: Google's Rust crate
#                                   #   google-cloud-video-livestream-v1 (REST only)
#   benches/compat/run.sh node      # benches/compat/node/workflow.js: Google's Node client
#                                   #   @google-cloud/livestream, fallback: true (REST), http,
#                                   #   no credentials
#   benches/compat/run.sh bench     # BENCHMARKS.md item 10: our gRPC Client vs Google's Rust
#                                   #   crate over REST (release builds; starts its own emulator)
#
# Needs python3 (with venv) and the package registries (PyPI, crates.io; npm for `node`, which
# also needs node >= 18 and installs the pinned package-lock.json with `npm ci` into
# benches/compat/node/node_modules, git-ignored). The Python client
# goes in benches/python/.venv (pinned benches/python/requirements.txt); the Rust workflow is a
# cargo project of its own (compat/google-rust: its own Cargo.lock and target directory, not
# part of livestream-grpc's package or dependency graph). The emulator is this crate's
# `livestream emulator` (debug build, as `cargo test --all-features` leaves it), with 500 ms
# operations so that both clients really poll. Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/../.."
job=${1:-all}
case $job in all | python | rust | node | bench) ;; *)
    echo "usage: $0 [all|python|rust|node|bench]" >&2
    exit 2
    ;;
esac
google=compat/google-rust
# Node is on this project's machines, but `all` (CI) must not fail where it is missing: it
# says so and runs the other two; `node` alone fails.
node_job=false
if [[ $job == node ]]; then
    node_job=true
elif [[ $job == all ]]; then
    if command -v node >/dev/null && command -v npm >/dev/null; then
        node_job=true
    else
        echo "compat: node or npm not found: the Node workflow is skipped" >&2
    fi
fi
step() { echo "compat: $1 took $2 s" >&2; }

if [[ $job == bench ]]; then
    cargo build --locked --release --all-features --bin livestream
    cd "$google"
    LIVESTREAM_BIN=../../target/release/livestream cargo run --locked --release --features bench --bin bench
    exit
fi

start=$SECONDS
cargo build --locked --all-features --bin livestream
step "the emulator build" $((SECONDS - start))

if $node_job; then
    start=$SECONDS
    (cd benches/compat/node && npm ci --no-audit --no-fund --loglevel=error)
    step "npm ci (benches/compat/node/node_modules)" $((SECONDS - start))
fi
if [[ $job == all || $job == python ]]; then
    start=$SECONDS
    venv=benches/python/.venv
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/python/requirements.txt
    step "the Python virtualenv" $((SECONDS - start))
fi
if [[ $job == all || $job == rust ]]; then
    start=$SECONDS
    (cd "$google" && cargo build --locked --bin workflow)
    step "the build of Google's Rust crate and the workflow ($google/target)" $((SECONDS - start))
fi

. scripts/start-emulator.sh
start_emulator target/debug/livestream --lro-delay 500ms

if [[ $job == all || $job == python ]]; then
    start=$SECONDS
    benches/python/.venv/bin/python scripts/python-workflow.py rest
    step "the Python REST workflow" $((SECONDS - start))
fi
if [[ $job == all || $job == rust ]]; then
    start=$SECONDS
    "$google/target/debug/workflow"
    step "the Rust REST workflow" $((SECONDS - start))
fi
if $node_job; then
    start=$SECONDS
    node benches/compat/node/workflow.js
    step "the Node REST workflow" $((SECONDS - start))
fi
