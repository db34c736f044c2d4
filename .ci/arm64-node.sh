#!/usr/bin/env bash
# Debian's arm64 Node.js, unpacked into a directory (not installed) for qemu-user: the package test loads the arm64
# prebuild with it (`qemu-aarch64-static -L DIR DIR/usr/bin/node`). Needs root (dpkg --add-architecture arm64,
# apt-get update) and qemu-user-static; about 45 MB of packages. Usage: .ci/arm64-node.sh [DIR]
# (default .ci/tools/arm64-root). Exits 0 with the directory ready, non-zero with the reason on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.ci/tools/arm64-root}
if [ -x "$dest/usr/bin/node" ]; then echo "arm64 node already in $dest"; exit 0; fi
command -v qemu-aarch64-static >/dev/null || { echo "no qemu-aarch64-static (apt-get install qemu-user-static)" >&2; exit 1; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get update -qq
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
chmod 777 "$debs"
# nodejs and what its binary and libnode load (Depends of nodejs:arm64 and libnode108:arm64), plus the arch-all
# packages of the builtins Debian's Node loads from /usr/share/nodejs.
(cd "$debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 libc6:arm64 \
  libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 libstdc++6:arm64 libgcc-s1:arm64 libuv1:arm64 zlib1g:arm64 \
  node-cjs-module-lexer node-acorn node-undici)
mkdir -p "$dest"
for f in "$debs"/*.deb; do dpkg-deb -x "$f" "$dest"; done
qemu-aarch64-static -L "$dest" "$dest/usr/bin/node" -e 'if (process.arch !== "arm64") process.exit(1)'
echo "arm64 node $(qemu-aarch64-static -L "$dest" "$dest/usr/bin/node" --version) in $dest"
