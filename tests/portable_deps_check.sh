#!/usr/bin/env bash
# CTest `portable_deps`: the bundle of packaging/portable_deps.py serves on its own. A probe project finds every
# package the CLI builds with (Qt 6 Core, OpenCV core/imgproc/imgcodecs/objdetect, nlohmann-json, ICU, libxml2, zlib)
# in the unpacked bundle, not in /usr; the probe links against it and, run with LD_LIBRARY_PATH on the bundle alone,
# resolves every library but the glibc family and libstdc++/libgcc_s from it (the stubs included), reads a PNG,
# computes HOG features, writes a JPEG, normalises Unicode, parses XML and formats a QString.
# Exit 77 (skipped) where this is no Debian machine with the packages (dpkg missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v dpkg >/dev/null 2>&1 || { echo "SKIP: no dpkg (not a Debian machine)"; exit 77; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/diffii-portable-deps.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

python3 "$ROOT/packaging/portable_deps.py" --fast "$WORK/deps.tar.xz"
mkdir -p "$WORK/root" "$WORK/probe"
tar xf "$WORK/deps.tar.xz" -C "$WORK/root"
BUNDLE=$WORK/root/usr
LIB=$BUNDLE/lib/x86_64-linux-gnu

cat >"$WORK/probe/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.22)
project(probe LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(Qt6 REQUIRED COMPONENTS Core)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs objdetect)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc)
find_package(LibXml2 REQUIRED)
find_package(ZLIB REQUIRED)
foreach(var Qt6Core_DIR OpenCV_DIR nlohmann_json_DIR ICU_INCLUDE_DIR ICU_UC_LIBRARY_RELEASE LIBXML2_INCLUDE_DIR
            LIBXML2_LIBRARY ZLIB_INCLUDE_DIR ZLIB_LIBRARY_RELEASE)
  if(NOT "${${var}}" MATCHES "^${BUNDLE}/")
    message(FATAL_ERROR "${var} = ${${var}}: not from the bundle ${BUNDLE}")
  endif()
endforeach()
add_executable(probe probe.cpp)
target_link_libraries(probe PRIVATE Qt6::Core ${OpenCV_LIBS} nlohmann_json::nlohmann_json ICU::uc LibXml2::LibXml2
                                    ZLIB::ZLIB)
EOF
cat >"$WORK/probe/probe.cpp" <<'EOF'
#include <cstdio>
#include <vector>

#include <QString>
#include <libxml/parser.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <unicode/normalizer2.h>
#include <zlib.h>

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    const cv::Mat image = cv::imread(argv[1], cv::IMREAD_COLOR);
    if (image.empty()) return 3;
    cv::Mat grey, small;
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    cv::resize(grey, small, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
    cv::HOGDescriptor hog(cv::Size(64, 64), cv::Size(16, 16), cv::Size(8, 8), cv::Size(8, 8), 9);
    std::vector<float> features;
    hog.compute(small, features);
    if (!cv::imwrite(argv[2], small)) return 4;
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    const auto composed = nfc->normalize(icu::UnicodeString::fromUTF8("e\xcc\x81"), status);  // e + combining acute
    xmlDocPtr doc = xmlReadMemory("<a b='1'/>", 10, "probe.xml", nullptr, 0);
    const auto json = nlohmann::json::parse(R"({"k": [1, 2]})");
    std::printf("image %dx%d hog %zu nfc %d %s xml %s json %d zlib %s qt %s\n", image.cols, image.rows,
                features.size(), composed.length(), U_SUCCESS(status) ? "ok" : "failed", doc ? "ok" : "failed",
                json["k"][1].get<int>(), zlibVersion(), qPrintable(QString::number(42)));
    xmlFreeDoc(doc);
    return 0;
}
EOF

cmake -S "$WORK/probe" -B "$WORK/probe/build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$BUNDLE" \
    "-DBUNDLE=$BUNDLE" "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$LIB" >"$WORK/configure.log" 2>&1 ||
    { cat "$WORK/configure.log"; echo "FAIL: the probe does not configure against the bundle"; exit 1; }
cmake --build "$WORK/probe/build" >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log"; echo "FAIL: the probe does not build against the bundle"; exit 1; }

PROBE=$WORK/probe/build/probe
outside=$(LD_LIBRARY_PATH=$LIB ldd "$PROBE" | awk '/=>/ {print $1, $3}' |
    grep -v -E '^(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libresolv|libutil)\.so' |
    awk -v lib="$LIB/" 'index($2, lib) != 1' || true)
if [[ -n "$outside" ]]; then
    echo "FAIL: libraries not taken from the bundle:"
    echo "$outside"
    exit 1
fi
echo "every library but glibc's and libstdc++/libgcc_s from the bundle ($(LD_LIBRARY_PATH=$LIB ldd "$PROBE" | grep -c "$LIB/") of them)"

line=$(LD_LIBRARY_PATH=$LIB "$PROBE" "$ROOT/resources/emoji-birds/train/penguin/fluent-color.png" "$WORK/small.jpg")
echo "$line"
expected='^image [0-9]+x[0-9]+ hog 1764 nfc 1 ok xml ok json 2 zlib [0-9.]+ qt 42$'
[[ "$line" =~ $expected ]] || { echo "FAIL: the probe printed something else than /$expected/"; exit 1; }
[[ -s "$WORK/small.jpg" ]] || { echo "FAIL: no JPEG written"; exit 1; }
echo "PASS"
