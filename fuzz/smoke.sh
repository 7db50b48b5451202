#!/bin/sh
# Runs every fuzz target for a few seconds (SECONDS_PER_TARGET, default 10) on the seeds:
# a smoke test for CI. Needs a nightly toolchain and cargo-fuzz; without them it says so
# and exits 0, so that a stable-only machine skips it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SECONDS_PER_TARGET:-10}
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: skipped: cargo-fuzz is not installed (cargo install cargo-fuzz)"
    exit 0
fi
"$here/seed.sh"
cd "$here/.."
for target in $(cargo +nightly fuzz list); do
    echo "fuzz/smoke.sh: $target for ${seconds}s"
    cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==|thread .* panicked)' || true
    # A crash makes cargo fuzz fail; `set -e` does not see it through the pipe.
    if ls "$here/artifacts/$target"/crash-* >/dev/null 2>&1; then
        echo "fuzz/smoke.sh: $target crashed: see fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
