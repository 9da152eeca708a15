#!/usr/bin/env bash
# GPU smoke test (issue 15; not part of CTest): builds the core and the CLI against a LibTorch (with CUDA), runs one
# Diff-II pair (`diffii pair`) on DEVICE and on REF_DEVICE with the same seed and compares the two decoded images:
# max-abs-diff and PSNR are printed; exit status 1 when the PSNR is below MIN_PSNR, 2 when a build or run fails, 3 when
# the test suite (TESTS=1) fails.
#
#   tests/gpu_smoke.sh                      # cuda:0 against cpu
#   DEVICE=cpu tests/gpu_smoke.sh           # the CPU path twice (what a machine without a GPU can run)
#
# Environment (all optional):
#   Torch_DIR   LibTorch's cmake folder (.../share/cmake/Torch); default: from python3's torch
#               (torch.utils.cmake_prefix_path/Torch) when that exists, else CMake's own search (Debian's LibTorch)
#   DEVICE      device under test (default cuda:0);  REF_DEVICE  the reference (default cpu)
#   BUILD_DIR   build folder (default build-gpu beside tests/); DIFFII  an already built diffii: no build at all
#   MODEL       diffusers folder (default ../shared/fixtures/tiny-sd1, else the embedded demo model)
#   IMAGE_A, IMAGE_B   the two source images (default: two emoji-birds training images)
#   STEPS       inversion and denoising steps (default 10);  SEED (default 1);  PRECISION (default float32)
#   SIZE        image size WxH (default: the model's own), e.g. 512x512 with a full-size MODEL
#   TESTS       1: also build the core's test suite (Qt Test, no GUI) against the same LibTorch and run it through
#               CTest after the pair (TESTS_REGEX: only the classes it matches; DIFFII_FIXTURES: the fixtures)
#   MIN_PSNR    pass threshold in dB (default 35);  JOBS  build jobs (default: the CPU count)
#   EXTRA_CMAKE_ARGS  more cmake arguments (e.g. -DCUDAToolkit_ROOT=/usr/local/cuda)
#   DEPS        the build and run dependencies (Qt Core, OpenCV, ICU, libxml2, ...) from a bundle made by
#               packaging/portable_deps.py on a Debian 12 machine: its tarball or the folder it was unpacked into,
#               for a machine without Debian's -dev packages (configure, link and run against it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEVICE=${DEVICE:-cuda:0}
REF_DEVICE=${REF_DEVICE:-cpu}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-gpu}
STEPS=${STEPS:-10}
SEED=${SEED:-1}
PRECISION=${PRECISION:-float32}
MIN_PSNR=${MIN_PSNR:-35}
JOBS=${JOBS:-$(nproc)}

say() { printf 'gpu_smoke: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }

# --- python3 with torch (for Torch_DIR only; the comparison below needs the standard library alone) ----------------
find_python_torch_dir() {
    local py dir
    for py in python3 /usr/bin/python3; do
        command -v "$py" >/dev/null 2>&1 || continue
        dir=$("$py" -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))' 2>/dev/null) || continue
        if [[ -f "$dir/TorchConfig.cmake" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

[[ "${TESTS:-0}" == 1 && -n "${DIFFII:-}" ]] && die "TESTS=1 builds the test suite: leave DIFFII unset"

# --- a dependency bundle (packaging/portable_deps.py) --------------------------------------------------------------
if [[ -n "${DEPS:-}" ]]; then
    if [[ -f "$DEPS" ]]; then
        mkdir -p "$BUILD_DIR/deps"
        tar xf "$DEPS" -C "$BUILD_DIR/deps" || die "cannot unpack $DEPS"
        DEPS=$BUILD_DIR/deps
    fi
    [[ -d "$DEPS/usr/lib/x86_64-linux-gnu" ]] || die "$DEPS: not a bundle of packaging/portable_deps.py (no usr/lib/x86_64-linux-gnu)"
    DEPS=$(cd "$DEPS" && pwd)
    DEPS_LIB=$DEPS/usr/lib/x86_64-linux-gnu
    say "dependencies from the bundle in $DEPS"
fi

if [[ -z "${DIFFII:-}" ]]; then
    if [[ -z "${Torch_DIR:-}" ]]; then
        Torch_DIR=$(find_python_torch_dir || true)
        if [[ -n "$Torch_DIR" ]]; then
            say "Torch_DIR from python3's torch: $Torch_DIR"
        else
            say "no Torch_DIR given and no python3 torch with a cmake folder: CMake's default LibTorch"
        fi
    fi
    targets=(diffii)
    tests_flag=OFF
    if [[ "${TESTS:-0}" == 1 ]]; then
        targets+=(diffii_tests)
        tests_flag=ON
    fi
    # CMAKE_POLICY_VERSION_MINIMUM: CMake 4 refuses packages whose files ask for policies older than 3.5.
    args=(-S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DDIFFII_BUILD_GUI=OFF "-DDIFFII_BUILD_TESTS=$tests_flag"
          -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
    build_args=()
    if command -v ninja >/dev/null 2>&1; then
        args+=(-G Ninja)
        build_args=(-- -k 0)  # every compile error in one go
    fi
    [[ -n "${Torch_DIR:-}" ]] && args+=("-DTorch_DIR=$Torch_DIR")
    [[ -n "${DEPS:-}" ]] && args+=("-DCMAKE_PREFIX_PATH=$DEPS/usr" "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$DEPS_LIB")
    # A CUDA LibTorch's cmake files look for the CUDA toolkit (nvcc): help them find the one on PATH, in CUDA_HOME or
    # in /usr/local/cuda.
    if command -v nvcc >/dev/null 2>&1; then
        args+=("-DCMAKE_CUDA_COMPILER=$(command -v nvcc)")
    elif [[ -n "${CUDA_HOME:-}" && -x "$CUDA_HOME/bin/nvcc" ]]; then
        args+=("-DCMAKE_CUDA_COMPILER=$CUDA_HOME/bin/nvcc" "-DCUDAToolkit_ROOT=$CUDA_HOME")
    elif [[ -x /usr/local/cuda/bin/nvcc ]]; then
        args+=("-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc" "-DCUDAToolkit_ROOT=/usr/local/cuda")
    fi
    # shellcheck disable=SC2206
    args+=(${EXTRA_CMAKE_ARGS:-})
    mkdir -p "$BUILD_DIR"
    say "configure: cmake ${args[*]}"
    cmake "${args[@]}" >"$BUILD_DIR/gpu_smoke.configure.log" 2>&1 || { tail -40 "$BUILD_DIR/gpu_smoke.configure.log" >&2; die "cmake failed (log: $BUILD_DIR/gpu_smoke.configure.log)"; }
    grep -m1 'LibTorch ' "$BUILD_DIR/gpu_smoke.configure.log" >&2 || true
    say "build: ${targets[*]}, $JOBS jobs"
    t0=$(date +%s)
    cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS" "${build_args[@]}" >"$BUILD_DIR/gpu_smoke.build.log" 2>&1 || { grep -E -A4 'error' "$BUILD_DIR/gpu_smoke.build.log" | head -150 >&2; die "build failed (log: $BUILD_DIR/gpu_smoke.build.log)"; }
    say "built in $(($(date +%s) - t0)) s"
    DIFFII=$BUILD_DIR/app/diffii
fi
[[ -x "$DIFFII" ]] || die "$DIFFII is not an executable"

# --- inputs ---------------------------------------------------------------------------------------------------------
if [[ -z "${MODEL:-}" ]]; then
    if [[ -f "$ROOT/../shared/fixtures/tiny-sd1/model_index.json" ]]; then
        MODEL=$ROOT/../shared/fixtures/tiny-sd1
    else
        MODEL=$ROOT/resources/models/emoji-sd-tiny
    fi
fi
IMAGE_A=${IMAGE_A:-$ROOT/resources/emoji-birds/train/penguin/fluent-color.png}
IMAGE_B=${IMAGE_B:-$ROOT/resources/emoji-birds/train/penguin/openmoji-color.png}
for f in "$MODEL/model_index.json" "$IMAGE_A" "$IMAGE_B"; do [[ -f "$f" ]] || die "$f not found"; done

# diffii (and the tests, which run it) find the bundle's libraries by LD_LIBRARY_PATH; nothing else here does
# (python3 keeps its own).
BUNDLE_ENV=()
[[ -n "${DEPS_LIB:-}" ]] && BUNDLE_ENV=(env "LD_LIBRARY_PATH=$DEPS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
DIFFII_CMD=("${BUNDLE_ENV[@]}" "$DIFFII")
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >&2
"${DIFFII_CMD[@]}" info --system | grep -E '^(cpu|cuda):' >&2 || true

OUT=$(mktemp -d "${TMPDIR:-/tmp}/diffii-gpu-smoke.XXXXXX")
run_pair() {  # device, output stem
    local t0 t1
    t0=$(date +%s.%N)
    "${DIFFII_CMD[@]}" pair --model "$MODEL" --image "$IMAGE_A" --image "$IMAGE_B" --prompt "a photo of a bird" \
        --suffix "in the snow" --seed "$SEED" --steps "$STEPS" --invert-steps "$STEPS" --guidance 3 \
        --precision "$PRECISION" --device "$1" ${SIZE:+--size "$SIZE"} --out "$OUT/$2.png" --raw "$OUT/$2.safetensors" \
        >"$OUT/$2.log" 2>&1 || { cat "$OUT/$2.log" >&2; die "diffii pair --device $1 failed"; }
    t1=$(date +%s.%N)
    say "pair on $1: $(tail -1 "$OUT/$2.log") ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s with loading)"
}
run_pair "$REF_DEVICE" ref
run_pair "$DEVICE" dut

# --- comparison: the raw float32 images (safetensors: 8-byte header length, JSON header, little-endian data) --------
status=0
python3 - "$OUT/ref.safetensors" "$OUT/dut.safetensors" "$MIN_PSNR" "$REF_DEVICE" "$DEVICE" <<'PY' || status=$?
import array, json, math, struct, sys

def image(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    e = header["image"]
    assert e["dtype"] == "F32", e
    a = array.array("f")
    a.frombytes(data[e["data_offsets"][0]:e["data_offsets"][1]])
    if sys.byteorder != "little":
        a.byteswap()
    return e["shape"], a

(sa, a), (sb, b) = image(sys.argv[1]), image(sys.argv[2])
if sa != sb:
    sys.exit(f"gpu_smoke: FAIL: shapes differ: {sa} vs {sb}")
diffs = [abs(x - y) for x, y in zip(a, b)]
mad = max(diffs)
mse = sum(d * d for d in diffs) / len(diffs)
psnr = float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)
limit = float(sys.argv[3])
verdict = "PASS" if psnr >= limit else "FAIL"
print(f"gpu_smoke: {sys.argv[5]} vs {sys.argv[4]}: image {sa}, max-abs-diff {mad:.6g}, mean-abs-diff "
      f"{sum(diffs) / len(diffs):.3g}, PSNR {psnr:.2f} dB (pass: >= {limit:g} dB): {verdict}")
sys.exit(0 if verdict == "PASS" else 1)
PY
say "outputs in $OUT"

# --- the core's test suite against the same LibTorch (TESTS=1) ------------------------------------------------------
if [[ "${TESTS:-0}" == 1 ]]; then
    # format needs clang-format and portable_deps Debian's packages: neither is the point here.
    ctest_args=(--test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure -E '^(format|portable_deps)$')
    [[ -n "${TESTS_REGEX:-}" ]] && ctest_args+=(-R "$TESTS_REGEX")
    say "tests: ctest ${ctest_args[*]}"
    "${BUNDLE_ENV[@]}" ctest "${ctest_args[@]}" || status=3
fi
exit $status
