#!/usr/bin/env bash
# Rebuilds the emoji-birds demo dataset (resources/emoji-birds/{train,test}) and the emoji pretraining corpus
# (build/emoji-corpus) from five npm packages pinned by version and sha512 integrity. See ATTRIBUTION.md.
#
# usage: resources/emoji-birds/rebuild.sh [--build DIR] [--src DIR] [--demo DIR] [--corpus DIR] [--size N]
#   --build   CMake build folder holding (or to hold) diffii-emoji-dataset   (default build, or $BUILD_DIR)
#   --src     cache of the npm tarballs and their extracted folders          (default build/emoji-src, or $EMOJI_SRC)
#   --demo    output of the demo dataset                                     (default resources/emoji-birds, or $DEMO_OUT)
#   --corpus  output of the pretraining corpus                               (default build/emoji-corpus, or $CORPUS_OUT)
#   --size    side of the output images in pixels                            (default 64, or $SIZE)
# Relative paths are taken from the project root. Once the five tarballs are in the cache, no network is used.
# Reruns only render images whose output is missing or older than its source.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
EMOJI_SRC=${EMOJI_SRC:-build/emoji-src}
DEMO_OUT=${DEMO_OUT:-resources/emoji-birds}
CORPUS_OUT=${CORPUS_OUT:-build/emoji-corpus}
SIZE=${SIZE:-64}

while (($#)); do
  case "$1" in
    --build) BUILD_DIR=$2; shift 2 ;;
    --src) EMOJI_SRC=$2; shift 2 ;;
    --demo) DEMO_OUT=$2; shift 2 ;;
    --corpus) CORPUS_OUT=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rebuild.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

abs() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD_DIR=$(abs "$BUILD_DIR"); EMOJI_SRC=$(abs "$EMOJI_SRC"); DEMO_OUT=$(abs "$DEMO_OUT"); CORPUS_OUT=$(abs "$CORPUS_OUT")

# npm spec | tarball written by `npm pack` | dist.integrity on registry.npmjs.org (`npm view SPEC dist.integrity`)
PACKAGES=(
  "emoji-datasource-google@16.0.0|emoji-datasource-google-16.0.0.tgz|sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A=="
  "emoji-datasource-twitter@16.0.0|emoji-datasource-twitter-16.0.0.tgz|sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ=="
  "openmoji@17.0.0|openmoji-17.0.0.tgz|sha512-EBnYrNGdcdw+OSXmENeNE1yBNRu6tOraTmoOyUbJkTmvT/+XETp8RZLSJFzD3lrPc5N9CzsyPnRTk0Vp4UaI9w=="
  "fluentui-emoji@1.3.0|fluentui-emoji-1.3.0.tgz|sha512-JTXXwqIie2rWTgOkIJDJxr0WtwTz2WU4kdOq8buLVThYwQ264aFR2jdTyuon2oEbLqqGMT64zI4btyn1saB2xw=="
  "@lobehub/fluent-emoji-3d@1.1.0|lobehub-fluent-emoji-3d-1.1.0.tgz|sha512-Wlq2lVStTnr8BDpIJ0pEnTKO4LuDxxqTEhTvRtD1DLRF0me7ogeRQjKoehDHXuVJ2Qaecgl5wRBv60lUAG3h7g=="
)

integrity() {  # sha512-<base64> of a file, as npm writes it
  if command -v openssl >/dev/null; then
    echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  else
    node -e 'const c=require("crypto"),f=require("fs");console.log("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
  fi
}

mkdir -p "$EMOJI_SRC"
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec tarball want <<<"$entry"
  tgz="$EMOJI_SRC/$tarball"
  if [[ -f "$tgz" && "$(integrity "$tgz")" != "$want" ]]; then
    echo "rebuild.sh: $tgz does not match the pinned integrity; fetching it again"
    rm -f "$tgz"
  fi
  if [[ ! -f "$tgz" ]]; then
    command -v npm >/dev/null || { echo "rebuild.sh: $tgz is missing and npm is not installed" >&2; exit 1; }
    echo "rebuild.sh: npm pack $spec"
    (cd "$EMOJI_SRC" && npm pack --silent "$spec" >/dev/null) \
      || { echo "rebuild.sh: 'npm pack $spec' failed (network?)" >&2; exit 1; }
    [[ -f "$tgz" ]] || { echo "rebuild.sh: npm pack $spec did not write $tgz" >&2; exit 1; }
    got=$(integrity "$tgz")
    if [[ "$got" != "$want" ]]; then
      rm -f "$tgz"
      echo "rebuild.sh: $spec: integrity $got, expected $want" >&2
      exit 1
    fi
  fi
  dir="$EMOJI_SRC/${tarball%.tgz}"
  if [[ ! -f "$dir/.integrity" || "$(cat "$dir/.integrity")" != "$want" || ! -d "$dir/package" ]]; then
    echo "rebuild.sh: extracting $tarball"
    partial="$EMOJI_SRC/.partial-${tarball%.tgz}"  # dot name: never taken for a package folder
    rm -rf "$dir" "$partial"
    mkdir -p "$partial"
    tar -xzf "$tgz" -C "$partial" --no-same-owner
    echo "$want" >"$partial/.integrity"
    mv "$partial" "$dir"
  fi
done

# Build the tool (only its target) when needed.
TOOL="$BUILD_DIR/app/diffii-emoji-dataset"
# The tool is built on request only (DIFFII_BUILD_DEMO_TOOLS); configuring again keeps the folder's other settings.
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DDIFFII_BUILD_DEMO_TOOLS=ON >/dev/null
cmake --build "$BUILD_DIR" --target diffii-emoji-dataset -j"${JOBS:-2}"
[[ -x "$TOOL" ]] || { echo "rebuild.sh: $TOOL was not built (is DIFFII_BUILD_GUI on?)" >&2; exit 1; }

"$TOOL" --packages "$EMOJI_SRC" --demo "$DEMO_OUT" --corpus "$CORPUS_OUT" --size "$SIZE"
