#!/usr/bin/env bash
# Google's official Python client beside our `Client`, against one standalone emulator
# process (issue 6, item 7; BENCHMARKS.md). Not run by CI (benches/compat/run.sh, which CI
# runs, uses the same virtualenv for the REST workflow).
#
#   benches/python/run.sh              # GetChannel: Python and Rust in alternation, ratios
#   benches/python/run.sh workflow     # scripts/python-workflow.py in the same virtualenv
#   benches/python/run.sh workflow-rest  # the same with transport="rest" (HTTP/1.1 + JSON)
#
# Creates benches/python/.venv (pinned requirements.txt), builds the release emulator and
# the Rust side (`cargo bench --all-features --bench peer`), starts `livestream emulator`
# on a free loopback port, and stops it at the end. ROUNDS (default 3) alternations;
# PEER_CALLS (default 5000) calls per phase; PEER_THREADS (default 64) callers.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=benches/python
job=${1:-getchannel}
rounds=${ROUNDS:-3}

if [[ ! -x $here/.venv/bin/python ]]; then
    python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
py=$here/.venv/bin/python

cargo build --release --all-features --bin livestream
if [[ $job == getchannel ]]; then
    cargo bench --all-features --bench peer --no-run
fi

out=$(mktemp -d)
emulator_pid=
stop_emulator() {
    if [[ -n $emulator_pid ]]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$out"
}
trap stop_emulator EXIT

# `workflow` waits on delayed operations, as the script's header suggests.
lro_delay=0ms
[[ $job == workflow* ]] && lro_delay=1s
target/release/livestream emulator --port 0 --lro-delay "$lro_delay" >"$out/emulator.log" &
emulator_pid=$!
for _ in $(seq 100); do
    grep -q '^export LIVESTREAM_EMULATOR_HOST=' "$out/emulator.log" && break
    sleep 0.1
done
host=$(sed -n 's/^export LIVESTREAM_EMULATOR_HOST=//p' "$out/emulator.log")
[[ -n $host ]] || { cat "$out/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
export LIVESTREAM_EMULATOR_HOST=$host
echo "emulator pid $emulator_pid on $host; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

case $job in
workflow)
    "$py" scripts/python-workflow.py
    ;;
workflow-rest)
    "$py" scripts/python-workflow.py rest
    ;;
getchannel)
    for round in $(seq "$rounds"); do
        echo "round $round/$rounds: python" >&2
        "$py" "$here/peer.py" >>"$out/python.jsonl"
        echo "round $round/$rounds: rust" >&2
        cargo bench --quiet --all-features --bench peer >>"$out/rust.jsonl"
    done
    peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$emulator_pid/status")
    "$py" - "$out/python.jsonl" "$out/rust.jsonl" "$peak" <<'EOF'
import json, statistics, sys

python = [json.loads(l) for l in open(sys.argv[1])]
rust = [json.loads(l) for l in open(sys.argv[2])]
peak_kib = int(sys.argv[3])
keys = [
    ("sequential_median_us", "sequential median latency (µs)", "lower"),
    ("sequential_p90_us", "sequential p90 latency (µs)", "lower"),
    ("sequential_calls_per_s", "sequential calls/s", "higher"),
    ("concurrent_calls_per_s", f"{rust[0]['threads']} callers, calls/s", "higher"),
]
med = lambda runs, k: statistics.median(r[k] for r in runs)
span = lambda runs, k: f"{min(r[k] for r in runs):.0f}–{max(r[k] for r in runs):.0f}"
print(f"\n{python[0]['client']}  vs  {rust[0]['client']} ({rust[0]['runtime']})")
print(f"{len(python)} alternating rounds of {rust[0]['sequential_calls']} calls per phase; same emulator process\n")
for k, what, better in keys:
    p, r = med(python, k), med(rust, k)
    ratio = p / r if better == "lower" else r / p
    print(f"- **Rust Client is {ratio:.1f}x** the Python client on {what} (Rust {r:.0f}, Python {p:.0f})")
print("\n| metric | Python median (min–max) | Rust median (min–max) |")
print("|---|---:|---:|")
for k, what, _ in keys:
    print(f"| {what} | {med(python, k):.0f} ({span(python, k)}) | {med(rust, k):.0f} ({span(rust, k)}) |")
print(f"\nemulator peak RSS (VmHWM) after both clients: {peak_kib / 1024:.1f} MiB")
EOF
    ;;
*)
    echo "usage: $0 [getchannel|workflow|workflow-rest]" >&2
    exit 2
    ;;
esac
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)" >&2
