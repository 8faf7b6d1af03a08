#!/usr/bin/env bash
# Re-vendor the .proto files under proto/ from the npm package `google-proto-files`.
#
#   scripts/update-protos.sh [VERSION]     (default: the version recorded in proto/README.md)
#
# It downloads the package with `npm pack`, copies the entry files and the transitive
# closure of their imports (google/protobuf/* is built into protox and is not copied),
# fails if an import is missing from the package, and rewrites proto/SHA256SUMS and the
# checksum table in proto/README.md. Our own protos (proto/livestream/) are left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
proto="$here/proto"
version=${1:-$(sed -n 's/^Package: `google-proto-files@\([^`]*\)`.*/\1/p' "$proto/README.md" 2>/dev/null || true)}
[ -n "$version" ] || { echo "usage: $0 VERSION" >&2; exit 2; }

entries=(
  google/cloud/video/livestream/v1/service.proto
  google/cloud/video/livestream/v1/resources.proto
  google/cloud/video/livestream/v1/outputs.proto
  google/longrunning/operations.proto
  google/cloud/location/locations.proto
  # The google.rpc error details, for the JSON of errors over REST (the emulator's REST layer).
  google/rpc/error_details.proto
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "google-proto-files@$version" >/dev/null)
tar -xzf "$work"/google-proto-files-*.tgz -C "$work"
src="$work/package"
[ -f "$src/LICENSE" ] || { echo "package has no LICENSE" >&2; exit 1; }

# Breadth-first closure over `import "...";` lines.
declare -A seen=()
queue=("${entries[@]}")
files=()
while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}; queue=("${queue[@]:1}")
  [ -n "${seen[$f]:-}" ] && continue
  seen[$f]=1
  case "$f" in google/protobuf/*) continue ;; esac
  if [ ! -f "$src/$f" ]; then
    echo "missing import in google-proto-files@$version: $f" >&2
    exit 1
  fi
  files+=("$f")
  while IFS= read -r imp; do queue+=("$imp"); done < <(sed -n 's/^import \(public \)\{0,1\}"\([^"]*\)";.*/\2/p' "$src/$f")
done

rm -rf "$proto/google"
for f in "${files[@]}"; do
  mkdir -p "$proto/$(dirname "$f")"
  cp "$src/$f" "$proto/$f"
done
cp "$src/LICENSE" "$proto/LICENSE"

(cd "$proto" && printf '%s\n' "${files[@]}" | LC_ALL=C sort | xargs sha256sum) > "$proto/SHA256SUMS"
total=$(cd "$proto" && cat "${files[@]}" | wc -c)

{
  cat <<MD
# Vendored protocol buffers

Package: \`google-proto-files@$version\` from the npm registry (Apache-2.0, see \`LICENSE\`).
Re-vendor with \`scripts/update-protos.sh VERSION\`; \`tests/api/proto_checksums.rs\` checks every
file against \`SHA256SUMS\`.

The set is the six entry files (Live Stream v1 \`service\`, \`resources\`, \`outputs\`,
\`google/longrunning/operations.proto\`, \`google/cloud/location/locations.proto\`,
\`google/rpc/error_details.proto\`) and the
transitive closure of their imports. \`google/protobuf/*\` is not copied: protox has those
built in. ${#files[@]} files, $total bytes.

\`livestream/emulator/v1/\` holds this project's own protos (the emulator admin service); the
script does not touch them.

| file | bytes | SHA-256 |
|---|---|---|
MD
  while read -r sum f; do
    printf '| `%s` | %s | `%s` |\n' "$f" "$(wc -c < "$proto/$f")" "$sum"
  done < "$proto/SHA256SUMS"
} > "$proto/README.md"

echo "vendored ${#files[@]} files ($total bytes) from google-proto-files@$version"
