#!/usr/bin/env bash
# EMULATOR.md "Driving it from another process", run end to end (CI runs this): a standalone
# `livestream emulator` in one process, controlled from others through the CLI's controls
# (`livestream emulator <control>`), through the typed admin client (the `emulator_control`
# example, which finds it through LIVESTREAM_EMULATOR_HOST), and through Python's grpcio:
# the Python block of EMULATOR.md, taken out of the Markdown and run as it stands, in a
# fresh virtualenv in a temporary directory (pinned scripts/python-admin-requirements.txt;
# needs python3 with venv, and PyPI). LIVESTREAM_SKIP_PYTHON=1 skips that part.
set -euo pipefail
cd "$(dirname "$0")/.."

# All features: the same build as `cargo test --all-features`, so CI builds nothing new.
cargo build --locked --quiet --all-features --bin livestream --example emulator_control
bin=target/debug/livestream
work=$(mktemp -d)
cleanup_files=$work
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
state=$("$bin" emulator export-state)
grep -q '"name": "projects/my-project/locations/us-central1/inputs/studio"' <<<"$state"
"$bin" emulator export-state --binary --out "$work/state.pb"
test -s "$work/state.pb"
"$bin" emulator reset
test "$("$bin" emulator call-counts GetInput)" = 0
"$bin" emulator lro-timing instant

# --- the typed admin client, from a second Rust process ---
target/debug/examples/emulator_control

# --- Python (grpcio), EMULATOR.md's block verbatim ---
if [[ ${LIVESTREAM_SKIP_PYTHON:-} == 1 ]]; then
  echo "emulator-control: Python part skipped (LIVESTREAM_SKIP_PYTHON=1)"
else
  command -v python3 >/dev/null || { echo "emulator-control: python3 is needed (or LIVESTREAM_SKIP_PYTHON=1)" >&2; exit 1; }
  # The first ```python block after the section's heading.
  awk '/^## Driving it from another process/ { section = 1 }
       section && /^```python$/ { inside = 1; next }
       inside && /^```$/ { exit }
       inside { print }' EMULATOR.md >"$work/admin_example.py"
  protoc_line=$(head -n 1 "$work/admin_example.py")
  case $protoc_line in
    "# python -m grpc_tools.protoc -I proto "*) ;;
    *) echo "emulator-control: EMULATOR.md's Python block must start with its protoc line" >&2; exit 1 ;;
  esac
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    -r scripts/python-admin-requirements.txt
  # The protoc line as written, run from the temporary directory (`-I proto` is the repo's).
  read -r -a protoc_args <<<"${protoc_line#\# python }"
  for i in "${!protoc_args[@]}"; do
    [[ ${protoc_args[$i]} == proto ]] && protoc_args[$i]=$PWD/proto
  done
  (cd "$work" && "$work/venv/bin/python" "${protoc_args[@]}")
  (cd "$work" && "$work/venv/bin/python" admin_example.py)
fi
echo "emulator-control: ok"
