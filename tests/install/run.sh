#!/usr/bin/env bash
# make install / uninstall into temporary prefixes, and consumers built
# against the installed files with pkg-config and with CMake.
#
#   bash tests/install/run.sh MAKE BUILD_DIR
set -euo pipefail
MAKE_CMD=${1:-make}
B=${2:-build}
cd "$(dirname "$0")/../.."
ROOT=$PWD
VERSION=$(sed -n 's/^#define LIGO_VERSION_STRING "\(.*\)"/\1/p' src/ligo_api.h)
CC=${CC:-cc}
T=$(mktemp -d "${TMPDIR:-/tmp}/ligo_install.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

# ---- install into PREFIX
P=$T/prefix
$MAKE_CMD --no-print-directory -s install PREFIX="$P" B="$B" >/dev/null
for f in include/ligo.h include/ligo_blas.h bin/ligo lib/pkgconfig/ligo.pc \
         lib/cmake/ligo/ligoConfig.cmake lib/cmake/ligo/ligoConfigVersion.cmake; do
    [ -f "$P/$f" ] || fail "$P/$f was not installed"
done
[ -x "$P/bin/ligo" ] || fail "bin/ligo is not executable"
cmp -s ligo.h "$P/include/ligo.h" || fail "installed ligo.h differs from ligo.h"
"$P/bin/ligo" --version | grep -q "ligo $VERSION" || fail "installed ligo --version does not say $VERSION"

# ---- pkg-config: only this prefix is searched
export PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" PKG_CONFIG_PATH=
[ "$(pkg-config --modversion ligo)" = "$VERSION" ] || fail "pkg-config --modversion ligo is not $VERSION"
cflags=$(echo $(pkg-config --cflags ligo))
libs=$(echo $(pkg-config --libs ligo))
[ "$cflags" = "-I$P/include" ] || fail "pkg-config --cflags ligo gave '$cflags'"
case " $libs " in *" -lm "*) ;; *) fail "pkg-config --libs ligo lacks -lm: '$libs'";; esac
case " $libs " in *" -lpthread "*) ;; *) fail "pkg-config --libs ligo lacks -lpthread: '$libs'";; esac
mkdir "$T/pc"
cp tests/install/consumer.c "$T/pc/"   # away from the repository's ligo.h
(cd "$T/pc" && $CC -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 $cflags consumer.c -o consumer $libs)
"$T/pc/consumer" "$VERSION" || fail "the pkg-config consumer failed"
echo "test-install: pkg-config consumer built with '$cflags ... $libs' and ran"

# ---- CMake: find_package(ligo) from this prefix only
if command -v cmake >/dev/null; then
    cmake -S tests/install/cmake -B "$T/cm" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_C_FLAGS="-Wall -Wextra -Wpedantic -Werror" \
        > "$T/cmake.log" 2>&1 || { cat "$T/cmake.log" >&2; fail "cmake configure failed"; }
    grep -q "ligo_DIR=$P/lib/cmake/ligo" "$T/cmake.log" || { cat "$T/cmake.log" >&2; fail "CMake found ligo elsewhere"; }
    grep -q "ligo_VERSION=$VERSION" "$T/cmake.log" || fail "CMake's ligo_VERSION is not $VERSION"
    cmake --build "$T/cm" > "$T/build.log" 2>&1 || { cat "$T/build.log" >&2; fail "cmake build failed"; }
    "$T/cm/consumer" "$VERSION" || fail "the CMake consumer failed"
    # a version the package does not offer must be refused
    mkdir "$T/cm2"
    sed 's/find_package(ligo 0.1 REQUIRED CONFIG)/find_package(ligo 99 REQUIRED CONFIG)/' \
        tests/install/cmake/CMakeLists.txt > "$T/cm2/CMakeLists.txt"
    cp tests/install/consumer.c "$T/"
    if cmake -S "$T/cm2" -B "$T/cm2/b" -DCMAKE_PREFIX_PATH="$P" > "$T/cmake2.log" 2>&1; then
        fail "find_package(ligo 99) succeeded against ligo $VERSION"
    fi
    echo "test-install: CMake consumer built with find_package(ligo) and ligo::ligo and ran"
else
    echo "test-install: CMake part skipped (cmake is not installed)"
fi

# ---- uninstall leaves nothing behind
$MAKE_CMD --no-print-directory -s uninstall PREFIX="$P" B="$B" >/dev/null
left=$(find "$P" -type f)
[ -z "$left" ] || fail "files left after uninstall: $left"
[ ! -e "$P/lib/cmake/ligo" ] || fail "lib/cmake/ligo left after uninstall"

# ---- DESTDIR: staged under DESTDIR, the .pc file names the final PREFIX
D=$T/stage
$MAKE_CMD --no-print-directory -s install DESTDIR="$D" PREFIX=/opt/ligo B="$B" >/dev/null
[ -f "$D/opt/ligo/include/ligo.h" ] || fail "DESTDIR install did not stage include/ligo.h"
grep -qx "prefix=/opt/ligo" "$D/opt/ligo/lib/pkgconfig/ligo.pc" || fail "staged ligo.pc does not say prefix=/opt/ligo"
$MAKE_CMD --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/opt/ligo B="$B" >/dev/null
left=$(find "$D" -type f)
[ -z "$left" ] || fail "files left after DESTDIR uninstall: $left"
echo "test-install: install, pkg-config and CMake consumers, DESTDIR staging and uninstall all passed"
