#!/usr/bin/env bash
# Regenerates tests/snapshots/api_surface.txt, the committed copy of the public surface that
# build.rs generates from the protos (every Client method and typed name). Run it after a
# deliberate change (a proto update, a generator change), then review and commit the diff;
# the test `methods::tests::api_snapshot` fails until the copy matches.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_API_SNAPSHOT=1 cargo test --lib --all-features --quiet methods::tests::api_snapshot
git --no-pager diff --stat -- tests/snapshots/api_surface.txt
