#!/usr/bin/env bash
# EMULATOR.md "REST", run end to end (CI runs this): the curl examples between the
# `rest-curl:begin` and `rest-curl:end` markers, verbatim, against a standalone
# `livestream emulator`, then checks of what they did, over REST too.
set -euo pipefail
cd "$(dirname "$0")/.."

# All features: the same build as `cargo test --all-features`, so CI builds nothing new.
cargo build --locked --quiet --all-features --bin livestream
bin=target/debug/livestream
examples=$(mktemp)
cleanup_files=$examples
. scripts/start-emulator.sh
start_emulator "$bin"

# The block, without its fence lines.
sed -n '/<!-- rest-curl:begin -->/,/<!-- rest-curl:end -->/p' EMULATOR.md \
  | sed -e '/^<!--/d' -e '/^```/d' >"$examples"
test -s "$examples"
out=$(bash -euo pipefail "$examples")
echo "$out"

# What the examples did: one input, one started channel with the new output, and a done
# operation as the last answer.
V1=http://$LIVESTREAM_EMULATOR_HOST/v1/projects/my-project/locations/us-central1
last=$(echo "$out" | tail -n 1)
echo "$last" | grep -q '"done":true'
echo "$last" | grep -q '"verb":"start"'
channel=$(curl -sS --fail-with-body "$V1/channels/live")
echo "$channel" | grep -q '"streamingState":"AWAITING_INPUT"'
echo "$channel" | grep -q '"uri":"gs://my-bucket/moved"'
echo "$out" | grep -q '"channels":\[{"name":"projects/my-project/locations/us-central1/channels/live"'
# An error is AIP-193 JSON with agreeing codes.
status=$(curl -sS -o /dev/null -w '%{http_code}' "$V1/channels/missing")
test "$status" = 404
curl -sS "$V1/channels/missing" | grep -q '"code":404.*"status":"NOT_FOUND"\|"status":"NOT_FOUND".*"code":404'
echo "rest-curl: ok"
