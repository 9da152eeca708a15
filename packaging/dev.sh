#!/usr/bin/env bash
# One entry point for the README's two commands:
#   bash packaging/dev.sh app    install what is missing, build (Release), start Diff-II Studio on the demo
#                                project (emoji-birds + the embedded tiny model) unless arguments are given
#   bash packaging/dev.sh test   install what is missing, build (Release), run the whole test suite
# BUILD_DIR (default: build), JOBS (default: nproc) and TEST_JOBS (default: JOBS) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-app}
shift || true
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

bash packaging/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"

case "$mode" in
  app)
    [[ $# -eq 0 ]] && set -- --demo
    if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
      echo "dev.sh: no display found; starting under Xvfb (xvfb-run)" >&2
      exec xvfb-run -a "$BUILD_DIR/app/diffii-studio" "$@"
    fi
    exec "$BUILD_DIR/app/diffii-studio" "$@"
    ;;
  test)
    cd "$BUILD_DIR"
    # Two classes at a time: most compute on one thread (small models), so the cores are shared, not oversubscribed.
    exec ctest --output-on-failure --timeout 1200 -j "${TEST_JOBS:-$JOBS}" "$@"
    ;;
  *)
    echo "usage: bash packaging/dev.sh app|test" >&2
    exit 2
    ;;
esac
