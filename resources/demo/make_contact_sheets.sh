#!/usr/bin/env bash
# Rebuilds the contact sheets shown in the README: the demo project (emoji-birds + the embedded tiny model + the
# shipped concepts), its inversion pool, then one sheet per class (resources/demo/contact-sheets/<class>.png) and an
# overview. Each sheet: row 1 the class's five training images; rows 2-4 images generated from the class's first
# two inversions at split ratio s = 0.3, 0.5, 0.7 (top to bottom), columns alpha = 0, 0.15, 0.35, 0.5, 0.75, 1.5
# (alpha 0 is the first inversion itself; alpha > 0 rotates along the great circle, past the second image for
# large alpha). Run from anywhere after a build; BUILD_DIR (default build), DEMO_DIR and OUT may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
D="$BUILD_DIR/app/diffii"
DIR=${DEMO_DIR:-$BUILD_DIR/demo-contact-sheets}
OUT=${OUT:-resources/demo/contact-sheets}
[[ -x "$D" ]] || { echo "make_contact_sheets.sh: build first ($D is missing)" >&2; exit 1; }
"$D" demo --dir "$DIR" --no-generate
"$D" contact-sheet "$DIR" --out "$OUT" --alphas 0,0.15,0.35,0.5,0.75,1.5 --splits 0.3,0.5,0.7
