#!/usr/bin/env bash
# Rebuilds the shipped inversion pool (resources/demo/inversions/<class>/<image>.safetensors and .recon.png): a
# fresh demo project with the shipped concepts, its pool built at the demo's settings, copied in. Run it after
# changing the model, the shipped concepts or the demo's pool settings; test_demo fails while the shipped pool does
# not match them (a stale entry would be rebuilt on open, never used). BUILD_DIR (default build) may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
D="$BUILD_DIR/app/diffii"
[[ -x "$D" ]] || { echo "ship_pool.sh: build first ($D is missing)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Without the old pool, so that every entry is built anew.
mv resources/demo/inversions "$WORK/old" 2>/dev/null || true
if ! "$D" demo --dir "$WORK/project" --no-generate; then
    [[ -d "$WORK/old" ]] && mv "$WORK/old" resources/demo/inversions
    exit 1
fi
mkdir -p resources/demo/inversions.tmp
cp -r "$WORK/project/inversions/." resources/demo/inversions.tmp/
mv resources/demo/inversions.tmp resources/demo/inversions
du -sh resources/demo/inversions
