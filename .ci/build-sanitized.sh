#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/cgmgr.node, from the same
# sources and defines as binding.gyp. Run the tests against it with:
#   LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
#   ASAN_OPTIONS=detect_leaks=0 CGMGR_ADDON=build-asan/cgmgr.node npx tap test/native
# (leak detection is off there: node itself does not free everything at exit; the fuzzers check the parsers for
# leaks with LeakSanitizer on.)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${ASAN_OUT:-build-asan}
mkdir -p "$out"
napi=$(node -p "require('node-addon-api').include_dir")
node_inc=$(node -p "require('path').join(process.execPath, '../../include/node')")
[ -f "$node_inc/node_api.h" ] || node_inc=$(npm config get nodedir)/include/node
mapfile -t sources < <(find native -name '*.cc' -not -path 'native/fuzz/*' | sort)
g++ -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fno-exceptions -fvisibility=hidden -fPIC -shared \
  -DNAPI_VERSION=9 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
  -DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -D_GNU_SOURCE \
  -I"$node_inc" -I"$napi" -Inative "${sources[@]}" -o "$out/cgmgr.node"
echo "built $out/cgmgr.node"
