#!/usr/bin/env python3
"""Bundle the core's and the CLI's build and run dependencies, LibTorch aside, from this Debian 12 machine into one
relocatable tarball, to build `diffii` against another LibTorch on a machine that lacks Debian's packages (a GPU
machine with a CUDA PyTorch, a cluster node): Qt 6 Core and Test, OpenCV (core, imgproc, imgcodecs, objdetect), ICU,
libxml2, nlohmann-json and zlib, with every shared library they load.

    packaging/portable_deps.py [--fast] OUT.tar.xz      (--fast: light compression, for tests)

Unpack anywhere (`tar xf OUT.tar.xz -C DIR`) and configure with `-DCMAKE_PREFIX_PATH=DIR/usr`, linking with
`-Wl,-rpath-link,DIR/usr/lib/x86_64-linux-gnu`; run with `LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu`
(tests/gpu_smoke.sh does all three when DEPS=DIR is given).

Debian's OpenCV loads GDAL, GDCM, OpenEXR, LAPACK/BLAS, GLX and (through objdetect) OpenCV's dnn with protobuf:
some 150 libraries, 240 MB. The core reads and writes PNG/JPEG, resizes and computes HOG features; it calls none of
those. OpenEXR stays (OpenCV builds its decoder at start-up); each of the others is replaced by a stub library of the same name that defines the symbols the bundled libraries
import from it (as required by their BIND_NOW loading): its functions return zero and do nothing, its data is zeros.
Trapping is not an option: OpenCV calls GDALAllRegister() when it reads its first image. The glibc family and
libstdc++/libgcc_s are left out: the target machine's own (newer) ones serve.
"""
import os
import re
import subprocess
import sys
import tarfile
import tempfile

ARCH_LIB = "/usr/lib/x86_64-linux-gnu"
DEV_PACKAGES = [
    "qt6-base-dev", "qt6-base-dev-tools", "libopencv-dev", "libopencv-core-dev", "libopencv-imgproc-dev",
    "libopencv-imgcodecs-dev", "libopencv-objdetect-dev", "libopencv-dnn-dev", "libopencv-calib3d-dev",
    "libopencv-features2d-dev", "libopencv-flann-dev", "libicu-dev", "libxml2-dev", "nlohmann-json3-dev",
    "zlib1g-dev", "qmake6",
]
# Libraries the link of diffii names (directly or through OpenCV's imported targets); their closure is bundled.
LINKED = ["libQt6Core.so", "libQt6Test.so", "libicuuc.so", "libxml2.so", "libz.so"] + [
    f"libopencv_{m}.so" for m in ("core", "imgproc", "imgcodecs", "objdetect", "dnn", "features2d", "flann",
                                  "calib3d")]
BASE = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "ld-linux-x86-64.so.2",
        "libgcc_s.so.1", "libstdc++.so.6", "libresolv.so.2", "libutil.so.1"}
STUBBED = re.compile(r"^lib(gdal|gdcm\w*|lapack|blas|GLX|opencv_dnn)\.so")
SKIP = re.compile(r"^/usr/share/(doc|man|lintian|qt6/doc)/|\.a$|/usr/lib/qt6/bin/(assistant|designer|linguist|"
                  r"pixeltool|qdbusviewer|qdoc)")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def package_files(pkg):
    files = []
    listing = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True)
    if listing.returncode != 0:
        raise SystemExit(f"portable_deps: Debian package {pkg} is not installed (packaging/install-deps.sh installs it)")
    for line in listing.stdout.splitlines():
        if os.path.isdir(line) and not os.path.islink(line):
            continue
        if SKIP.search(line):
            continue
        if "/include/x86_64-linux-gnu/qt6/" in line and not re.search(r"/qt6/Qt(Core|Test)/", line):
            continue  # Qt's other modules' headers: the CLI uses Qt Core, the core's tests Qt Test
        files.append(line)
    return files


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def soname_paths():
    paths = {}
    for line in run("ldconfig", "-p").splitlines():
        m = re.match(r"\s*(\S+) \((libc6,x86-64[^)]*)\) => (\S+)", line)
        if m and m.group(1) not in paths:
            paths[m.group(1)] = m.group(3)
    return paths


def needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", path))


def dynsyms(path):
    """(name, version or None, type, size, defined) of each dynamic symbol."""
    out = []
    for line in run("readelf", "-W", "--dyn-syms", path).splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].rstrip(":").isdigit():
            continue
        name = f[7]
        version = None
        if "@" in name:
            name, version = re.split(r"@@?", name, maxsplit=1)
        size = int(f[2], 0)  # decimal, or hexadecimal with 0x when large
        out.append((name, version, f[3], size, f[6] != "UND"))
    return out


def make_stub(soname, real, importers, folder):
    """A library named soname defining what importers take from real: functions return 0, data is zeros."""
    wanted = {name for lib in importers for (name, _, _, _, defined) in dynsyms(lib) if not defined}
    asm, versions = [], {}
    for name, version, kind, size, defined in dynsyms(real):
        if not defined or name not in wanted or kind in ("NOTYPE", "SECTION", "FILE"):
            continue
        if version:
            versions.setdefault(version, []).append(name)
        if kind in ("FUNC", "IFUNC"):
            asm.append(f'.text\n.globl "{name}"\n.type "{name}",@function\n"{name}": xorl %eax, %eax\nret\n')
        elif kind == "OBJECT":
            asm.append(f'.data\n.balign 16\n.globl "{name}"\n.type "{name}",@object\n.size "{name}",{max(size, 1)}\n'
                       f'"{name}": .zero {max(size, 1)}\n')
        else:
            raise SystemExit(f"{real}: symbol {name} of type {kind} cannot be stubbed")
    src = os.path.join(folder, soname + ".s")
    with open(src, "w") as f:
        f.write("".join(asm))
    cmd = ["gcc", "-shared", "-nostdlib", "-Wl,-soname," + soname, "-o", os.path.join(folder, soname), src]
    if versions:
        vmap = os.path.join(folder, soname + ".map")
        with open(vmap, "w") as f:
            for v, names in versions.items():
                f.write(v + " {\n  global:\n" + "".join(f'    "{n}";\n' for n in names) + "};\n")
        cmd.append("-Wl,--version-script=" + vmap)
    subprocess.run(cmd, check=True)
    return os.path.join(folder, soname)


def main():
    args = sys.argv[1:]
    fast = "--fast" in args
    args = [a for a in args if a != "--fast"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    out = args[0]
    files = []
    for pkg in DEV_PACKAGES:
        files += package_files(pkg)
    bysoname = soname_paths()

    # The runtime closure of the linked libraries, stopping at the stubbed ones.
    # (OpenCV's dnn is linked through OpenCV's imported targets but stubbed: its importers come from the walk.)
    queue = [os.path.realpath(os.path.join(ARCH_LIB, n)) for n in LINKED if not STUBBED.match(n)]
    kept, stubs, seen = [], {}, set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        kept.append(path)
        for soname in needed(path):
            if soname in BASE:
                continue
            if soname not in bysoname:
                raise SystemExit(f"{path}: needs {soname}, which ldconfig does not know")
            if STUBBED.match(soname):
                stubs.setdefault(soname, []).append(path)
                continue
            queue.append(os.path.realpath(bysoname[soname]))

    # Empty placeholders for the files that the bundled CMake packages import but the bundle lacks (OpenCV's other
    # modules, Qt's other libraries and tools): CMake checks that they exist; nothing links or runs them.
    placeholders = set()
    for path in files:
        if path.endswith(".cmake") and not os.path.islink(path):
            with open(path, errors="replace") as f:
                for line in f:
                    if "import_check_files_for_" in line.lower():
                        for rel in re.findall(r'\$\{_IMPORT_PREFIX\}/([^"$;\s]+)', line):
                            placeholders.add("/usr/" + rel)

    with tempfile.TemporaryDirectory() as tmp, tarfile.open(out, "w:xz", preset=0 if fast else 6) as tar:
        added = set()

        def add(src, arcname):
            if arcname in added:
                return
            added.add(arcname)
            tar.add(src, arcname=arcname, recursive=False)

        keptset = set(kept)
        tools = sorted(t for t in files if t.startswith("/usr/lib/qt6/libexec/") and not os.path.islink(t) and is_elf(t))
        for path in files + kept:
            if path in tools:
                continue  # wrapped below
            target = os.path.realpath(path)
            if os.path.islink(path) and ".so" in os.path.basename(target) and target not in keptset:
                if not STUBBED.match(os.path.basename(target)):
                    continue  # a dev link to a library outside the closure (Qt Gui, Widgets, ...)
                add(path, path.lstrip("/"))  # to a stub, added below
                continue
            add(path, path.lstrip("/"))
            if os.path.islink(path):  # the file a dev symlink names
                add(target, target.lstrip("/"))
        for soname, p in bysoname.items():  # the SONAME links, beside the files (ldconfig may name them under /lib)
            path = os.path.realpath(p)
            if path in keptset and soname != os.path.basename(path):
                link = os.path.join(tmp, "so-" + soname)
                os.symlink(os.path.basename(path), link)
                add(link, os.path.join(os.path.dirname(path), soname).lstrip("/"))
        for soname, importers in stubs.items():
            real = os.path.realpath(bysoname[soname])
            stub = make_stub(soname, real, importers, tmp)
            add(stub, os.path.join(ARCH_LIB, soname).lstrip("/"))
            link = os.path.join(tmp, "link-" + soname)
            os.symlink(soname, link)
            add(link, real.lstrip("/"))  # the versioned file name OpenCV's CMake files check
        # Qt's build tools (moc, rcc, ...) load libraries of the bundle (moc: libpcre2-16): each runs through a wrapper
        # that points the loader at the bundle, so that a build needs no LD_LIBRARY_PATH of its own (the compiler and
        # linker keep the system's).
        for tool in tools:
            add(tool, tool.lstrip("/") + ".bin")
            wrapper = os.path.join(tmp, "wrap-" + os.path.basename(tool))
            with open(wrapper, "w") as f:
                f.write('#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\n'
                        'LD_LIBRARY_PATH="$here/../../x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" '
                        f'exec "$here/{os.path.basename(tool)}.bin" "$@"\n')
            os.chmod(wrapper, 0o755)
            add(wrapper, tool.lstrip("/"))
        empty = os.path.join(tmp, "empty")
        open(empty, "w").close()
        for path in sorted(placeholders):
            if path.lstrip("/") not in added and not STUBBED.match(os.path.basename(path)):
                add(empty, path.lstrip("/"))
    print(f"{out}: {len(kept)} libraries, {len(stubs)} stubs ({', '.join(sorted(stubs))}), "
          f"{os.path.getsize(out) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
