#!/usr/bin/env bash
# Make this machine able to run real guests through libvirtd (qemu:///system), without
# systemd. Safe to run again: each step checks before it changes anything.
#
#   deploy/libvirt/setup.sh
#
# 1. installs qemu-system-x86, libvirt-daemon, libvirt-daemon-driver-qemu and
#    libvirt-clients when missing (not libvirt-daemon-system: it pulls in systemd);
# 2. creates the libvirt-qemu system user libvirtd insists on;
# 3. sets in /etc/libvirt/qemu.conf: guests run as root (their kernel, initrd and serial
#    log live in directories owned by the operator), and qemu writes its stdio to a file
#    itself (without this virtlogd must run too, and every start takes seconds longer).
#
# It does not start libvirtd: `stratus up --hypervisor qemu` and the e2e tests start it
# (and stop it again) when nothing answers on qemu:///system yet.
set -euo pipefail

say() { printf '==> %s\n' "$*" >&2; }

SUDO=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { say "run as root (or install sudo)"; exit 1; }
  SUDO=(sudo)
fi

missing=()
for pkg in qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if ! getent passwd libvirt-qemu >/dev/null; then
  say "creating the libvirt-qemu system user"
  "${SUDO[@]}" useradd --system --no-create-home --home-dir /var/lib/libvirt \
    --shell /usr/sbin/nologin --user-group libvirt-qemu
fi

CONF=/etc/libvirt/qemu.conf
BEGIN="# BEGIN stratus"
END="# END stratus"
WANT=$(printf '%s\n' "$BEGIN" 'user = "root"' 'group = "root"' 'stdio_handler = "file"' "$END")
current=$(sed -n "/^$BEGIN\$/,/^$END\$/p" "$CONF" 2>/dev/null || true)
if [[ $current != "$WANT" ]]; then
  say "configuring $CONF"
  tmp=$(mktemp)
  # Drop an older block of ours and any active setting of the same keys, then append.
  sed -e "/^$BEGIN\$/,/^$END\$/d" -e '/^[[:space:]]*\(user\|group\|stdio_handler\)[[:space:]]*=/d' \
    "$CONF" >"$tmp" 2>/dev/null || true
  printf '%s\n' "$WANT" >>"$tmp"
  "${SUDO[@]}" install -m 0600 "$tmp" "$CONF"
  rm -f "$tmp"
  if pgrep -x libvirtd >/dev/null; then
    say "libvirtd is already running: restart it for $CONF to take effect"
  fi
fi
say "libvirt is set up for qemu:///system"
