#!/usr/bin/env bash
# Installs every build and runtime dependency of Diff-II Studio from Debian 12 packages.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  qt6-svg-dev qt6-image-formats-plugins qt6-translations-l10n libgl-dev
  libtorch-dev
  libopencv-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  nlohmann-json3-dev
  libicu-dev libxml2-dev
  libopenblas0-pthread libopenblas-dev
  xvfb xauth
  fonts-noto-cjk
  slurmctld slurmd slurm-client  # `diffii slurm` and its test's throwaway one-node cluster (no systemd needed)
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's reference BLAS makes LibTorch's matrix products ~50x slower: make OpenBLAS the default.
for alt in libblas.so.3 liblapack.so.3; do
  target=$(ls /usr/lib/x86_64-linux-gnu/openblas-pthread/"$alt" 2>/dev/null || true)
  if [[ -n "$target" ]]; then
    current=$(readlink -f "/etc/alternatives/${alt}-x86_64-linux-gnu" 2>/dev/null || true)
    if [[ "$current" != "$(readlink -f "$target")" ]]; then
      SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
      $SUDO update-alternatives --set "${alt}-x86_64-linux-gnu" "$target" >/dev/null
    fi
  fi
done
echo "install-deps: all dependencies present"
