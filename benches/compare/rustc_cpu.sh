#!/usr/bin/env bash
# RUSTC_WRAPPER for cold_build.sh: runs rustc and appends "CRATE USER_S SYS_S
# WALL_S" to $RUSTC_CPU_LOG.
crate=unknown
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[i]}" = "--crate-name" ]; then crate=${args[i + 1]}; fi
done
exec /usr/bin/time -a -o "$RUSTC_CPU_LOG" -f "$crate %U %S %e" "$@"
