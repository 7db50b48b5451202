#!/bin/sh
# Builds fuzz/corpus/<target>/ from the small seeds in fuzz/seeds/ and, for the
# notification parser, the webhook fixtures in tests/fixtures (copied into the corpus,
# which git ignores). Safe to run again: libFuzzer adds what it finds to the same directories.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${FIXTURES:-$here/../tests/fixtures}
for target in notification reply config multipart; do
    mkdir -p "$here/corpus/$target"
    if [ -d "$here/seeds/$target" ]; then
        cp "$here/seeds/$target/"* "$here/corpus/$target/"
    fi
done
if [ -d "$fixtures" ]; then
    cp "$fixtures"/*.json "$here/corpus/notification/"
    # A notification's messages are shaped like what a bot may try to send back.
    cp "$fixtures"/*.json "$here/corpus/reply/"
else
    echo "seed.sh: no fixtures at $fixtures (set FIXTURES=DIR): seeding from fuzz/seeds only" >&2
fi
