#!/usr/bin/env bash
# Puts promtool (Debian's prometheus package) into .ci/tools/bin without installing the package: installing it would
# start a Prometheus server on the machine. Prints the path; exits non-zero when it cannot be had.
set -euo pipefail
cd "$(dirname "$0")"
bin=$PWD/tools/bin
if command -v promtool >/dev/null; then command -v promtool; exit 0; fi
if [ -x "$bin/promtool" ]; then echo "$bin/promtool"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$work" && apt-get download prometheus >/dev/null 2>&1) || { apt-get update -qq >/dev/null 2>&1 && (cd "$work" && apt-get download prometheus >/dev/null); }
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
mkdir -p "$bin"
cp "$work/x/usr/bin/promtool" "$bin/promtool"
"$bin/promtool" --version >/dev/null
echo "$bin/promtool"
