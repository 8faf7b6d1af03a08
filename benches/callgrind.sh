#!/usr/bin/env bash
# Instructions per GetChannel call, counted by callgrind (deterministic whatever the machine
# load), for each variant of benches/overhead.rs in one setting. Not run by CI: it needs
# valgrind.
#
#   benches/callgrind.sh                   # in-process and loopback-ct, all three variants
#   benches/callgrind.sh in-process raw Client
#
# Each variant runs alone twice, with 1 and 3 measured batches of 1,000 calls (plus the
# warm-up batch); the difference of the two totals over the 2,000 extra calls is the cost of
# one call, client and emulator together, with the set-up cancelled out.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

settings=(in-process loopback-ct)
variants=(raw raw+headers Client)
if [[ $# -gt 0 ]]; then
    settings=("$1")
    shift
    [[ $# -gt 0 ]] && variants=("$@")
fi

cargo bench --all-features --bench overhead --no-run
bin=$(cargo bench --all-features --bench overhead --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*overhead[^"]*\)".*/\1/p' | tail -1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

total() { # setting variant rounds
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2.$3" "$bin" \
        --setting "$1" --only "$2" --rounds "$3" --batch 1000 >/dev/null 2>"$out/log.$1.$2.$3"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log.$1.$2.$3"
}

echo "| setting | variant | instructions per call |"
echo "|---|---|---:|"
for setting in "${settings[@]}"; do
    for variant in "${variants[@]}"; do
        one=$(total "$setting" "$variant" 1)
        three=$(total "$setting" "$variant" 3)
        echo "| $setting | $variant | $(((three - one) / 2000)) |"
    done
done
