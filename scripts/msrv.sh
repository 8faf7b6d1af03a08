#!/usr/bin/env bash
# Prints the highest `rust-version` declared by any package in Cargo.lock's resolution, and
# fails if Cargo.toml's own `rust-version` is lower (it would promise a toolchain that cannot
# build our dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked --all-features 2>/dev/null | python3 -c '
import json, sys
meta = json.load(sys.stdin)
def key(v): return (tuple(int(x) for x in (v or "0").split(".")) + (0, 0, 0))[:3]
ours = next(p for p in meta["packages"] if p["name"] == "livestream-grpc")
deps = [(p.get("rust_version"), p["name"], p["version"]) for p in meta["packages"] if p["name"] != "livestream-grpc"]
need = max(deps, key=lambda d: key(d[0]))
print("highest dependency rust-version: %s (%s %s); ours: %s" % (need[0], need[1], need[2], ours["rust_version"]))
if key(ours["rust_version"]) < key(need[0]):
    sys.exit("Cargo.toml rust-version is lower than a dependency needs")
'
