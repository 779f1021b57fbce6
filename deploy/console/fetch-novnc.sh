#!/usr/bin/env bash
# Put the noVNC web client (HTML and JavaScript only) where the console proxy serves it
# from: OUT_DIR, default ${XDG_CACHE_HOME:-~/.cache}/stratus/novnc.
#
#   deploy/console/fetch-novnc.sh [OUT_DIR]
#
# It takes the files of Debian's `novnc` package without installing the package (which
# would pull in websockify, Node.js and NumPy: the proxy is our own). Cached: a second run
# with the same package version does nothing.
set -euo pipefail

OUT_DIR=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/stratus/novnc}
say() { printf '==> %s\n' "$*" >&2; }

VERSION=$(apt-cache policy novnc 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [[ -z $VERSION || $VERSION == "(none)" ]]; then
  say "apt knows no novnc package; run apt-get update"
  exit 1
fi
if [[ -f $OUT_DIR/.version && $(<"$OUT_DIR/.version") == "$VERSION" && -f $OUT_DIR/vnc_lite.html ]]; then
  say "noVNC $VERSION is current in $OUT_DIR"
  exit 0
fi

say "fetching noVNC $VERSION into $OUT_DIR"
mkdir -p "$(dirname "$OUT_DIR")"
WORK=$(mktemp -d "$(dirname "$OUT_DIR")/.novnc.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 0777 "$WORK" # apt-get download runs as _apt when it can
(cd "$WORK" && apt-get download -q novnc >/dev/null 2>download.log) ||
  { cat "$WORK/download.log" >&2; exit 1; }
dpkg-deb -x "$WORK"/novnc_*.deb "$WORK/root"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
# -L: vnc_auto.html is a symlink to vnc.html in the package.
cp -RL "$WORK/root/usr/share/novnc/." "$OUT_DIR/"
echo "$VERSION" >"$OUT_DIR/.version"
say "noVNC $VERSION ready in $OUT_DIR"
