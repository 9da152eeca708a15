#!/usr/bin/env bash
# Rebuilds the contact sheets shown in the README: the demo project (emoji-birds + the embedded tiny model + the
# shipped concepts), its inversion pool, then one sheet per class (resources/demo/contact-sheets/<class>.png) and an
# overview. Each sheet: row 1 the class's five training images; rows 2-5 images generated from the class's first
# two inversions z1, z2 at split ratio s = 0.3, 0.5, 0.7, 0.9 (top to bottom) with the scene suffix ", outline emoji"
# in the first stage; columns go once round the great circle through z1 and z2 in eighths of a turn (0 is z1; 1/2 is
# -z1; z2 sits at (2pi - theta)/2pi, just before the last column), which is where the generator's
# alpha ~ U(0, 2pi/theta) lands, uniformly. Run from anywhere after a build; BUILD_DIR (default build), DEMO_DIR and
# OUT may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
D="$BUILD_DIR/app/diffii"
DIR=${DEMO_DIR:-$BUILD_DIR/demo-contact-sheets}
OUT=${OUT:-resources/demo/contact-sheets}
[[ -x "$D" ]] || { echo "make_contact_sheets.sh: build first ($D is missing)" >&2; exit 1; }
"$D" demo --dir "$DIR" --no-generate
"$D" contact-sheet "$DIR" --out "$OUT" --turns 0,0.125,0.25,0.375,0.5,0.625,0.75,0.875 --splits 0.3,0.5,0.7,0.9 \
    --suffix ", outline emoji"
