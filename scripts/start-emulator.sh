# Sourced by the scripts that drive a standalone emulator (emulator-control.sh, rest-curl.sh).
#
#   start_emulator BIN [FLAGS...]
#
# Starts `BIN emulator --port 0 FLAGS...` in the background, waits for its banner, exports
# LIVESTREAM_EMULATOR_HOST from it, and stops it (and removes the files and directories in $cleanup_files, if set) when
# the script exits.
start_emulator() {
  local bin=$1
  shift
  emulator_log=$(mktemp)
  "$bin" emulator --port 0 "$@" >"$emulator_log" &
  emulator_pid=$!
  trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$emulator_log" ${cleanup_files:-}' EXIT
  for _ in $(seq 100); do
    grep -q '^export LIVESTREAM_EMULATOR_HOST=' "$emulator_log" && break
    sleep 0.1
  done
  eval "$(grep '^export LIVESTREAM_EMULATOR_HOST=' "$emulator_log")"
  echo "emulator at $LIVESTREAM_EMULATOR_HOST"
}
