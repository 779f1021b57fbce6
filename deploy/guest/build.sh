#!/usr/bin/env bash
# Build the tiny real guest: a Debian kernel and a busybox-static initramfs, from Debian
# packages only, into OUT_DIR (default ${XDG_CACHE_HOME:-~/.cache}/stratus/guest).
#
#   deploy/guest/build.sh [OUT_DIR]
#
# What the guest does:
#   - prints the boot marker `STRATUS-GUEST-BOOTED` (with its kernel release) on the
#     serial console (ttyS0) as soon as its init runs;
#   - shows a login banner and a login prompt on the VGA console (tty1) and on ttyS0
#     (user root, no password);
#   - powers off on an ACPI power-button press (what `virsh shutdown` sends), so a
#     graceful stop really stops it;
#   - with `stratus.probe=1` on the kernel command line, powers off right after the
#     marker: the agent boots it that way to learn whether KVM really runs guests here.
#
# Built once and cached: a second run with the same script and the same Debian packages
# does nothing. It prints OUT_DIR/image.json, the image properties to register.
# Needs apt-get (download only: nothing is installed), dpkg-deb and gzip; the archive is
# written by the busybox it packs.
set -euo pipefail

OUT_DIR=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/stratus/guest}
MARKER=STRATUS-GUEST-BOOTED
# Default kernel command line: kernel messages on the VGA screen and the serial port;
# /dev/console (the last one) is the serial port, so the serial log has everything.
CMDLINE="console=tty0 console=ttyS0"

say() { printf '==> %s\n' "$*" >&2; }

for tool in apt-get apt-cache dpkg-deb gzip sha256sum; do
  command -v "$tool" >/dev/null || { say "$tool is needed to build the guest"; exit 1; }
done

# The newest Debian kernel: the package linux-image-amd64 currently depends on.
KERNEL_PKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
  sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
if [[ -z $KERNEL_PKG ]]; then
  say "apt knows no linux-image-amd64 package; run apt-get update"
  exit 1
fi
KERNEL_VERSION=$(apt-cache policy "$KERNEL_PKG" | sed -n 's/^ *Candidate: //p')
BUSYBOX_VERSION=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')
SCRIPT_SHA=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
RECIPE="$KERNEL_PKG=$KERNEL_VERSION busybox-static=$BUSYBOX_VERSION script=$SCRIPT_SHA"

if [[ -f $OUT_DIR/recipe && $(<"$OUT_DIR/recipe") == "$RECIPE" && -f $OUT_DIR/vmlinuz &&
  -f $OUT_DIR/initrd.img && -f $OUT_DIR/image.json ]]; then
  say "guest image is current in $OUT_DIR"
  cat "$OUT_DIR/image.json"
  exit 0
fi

say "building the guest image from $KERNEL_PKG $KERNEL_VERSION and busybox-static $BUSYBOX_VERSION"
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "$OUT_DIR/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
(
  cd "$WORK"
  # apt-get download runs as _apt when it can; the work dir must be writable for it.
  chmod 0777 .
  apt-get download -q "$KERNEL_PKG" busybox-static >/dev/null 2>download.log ||
    { cat download.log >&2; exit 1; }
)
mkdir -p "$WORK/kernel" "$WORK/busybox"
dpkg-deb -x "$WORK"/linux-image-*.deb "$WORK/kernel"
dpkg-deb -x "$WORK"/busybox-static_*.deb "$WORK/busybox"
RELEASE=$(basename "$(ls -d "$WORK"/kernel/lib/modules/*)")
VMLINUZ="$WORK/kernel/boot/vmlinuz-$RELEASE"
[[ -f $VMLINUZ ]] || { say "no kernel in $KERNEL_PKG"; exit 1; }

ROOT="$WORK/initramfs"
mkdir -p "$ROOT"/{bin,sbin,etc/acpi/PWRF,proc,sys,dev,tmp,root,lib/modules,usr/bin,usr/sbin}
cp "$WORK/busybox/bin/busybox" "$ROOT/bin/busybox"
# The power button (ACPI) reaches user space as an input event: both are modules here.
MODULES="$WORK/kernel/lib/modules/$RELEASE/kernel/drivers"
cp "$MODULES/acpi/button.ko" "$MODULES/input/evdev.ko" "$ROOT/lib/modules/"

cat >"$ROOT/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
insmod /lib/modules/button.ko
insmod /lib/modules/evdev.ko
hostname stratus-guest
echo "$MARKER \$(uname -r)" >/dev/ttyS0
if grep -q 'stratus.probe=1' /proc/cmdline; then
  poweroff -f
fi
# In the foreground (in the background of init): its events go to the serial log.
acpid -d -c /etc/acpi >/dev/ttyS0 2>&1 &
exec /sbin/init
EOF
chmod 0755 "$ROOT/init"

# busybox acpid maps the power button to the action PWRF/00000080 under its config dir.
cat >"$ROOT/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "ACPI power button: powering off" >/dev/ttyS0
poweroff
EOF
chmod 0755 "$ROOT/etc/acpi/PWRF/00000080"

cat >"$ROOT/etc/inittab" <<'EOF'
tty1::respawn:/sbin/getty 0 tty1 linux
ttyS0::respawn:/sbin/getty -L 0 ttyS0 vt100
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/echo "stratus guest: shutting down"
EOF
cat >"$ROOT/etc/issue" <<EOF

  Stratus tiny guest - Debian kernel \\r, busybox-static
  $MARKER

  Log in as root (no password).

EOF
echo "root::0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"
echo "stratus-guest" >"$ROOT/etc/hostname"

BUSYBOX="$WORK/busybox/bin/busybox"
(cd "$ROOT" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null | gzip -9) >"$WORK/initrd.img"
install -m 0644 "$VMLINUZ" "$OUT_DIR/vmlinuz"
install -m 0644 "$WORK/initrd.img" "$OUT_DIR/initrd.img"

cat >"$OUT_DIR/image.json" <<EOF
{
  "name": "stratus-tiny",
  "disk_format": "ami",
  "container_format": "bare",
  "min_ram_mb": 128,
  "size_bytes": $(($(stat -c %s "$OUT_DIR/vmlinuz") + $(stat -c %s "$OUT_DIR/initrd.img"))),
  "properties": {
    "architecture": "x86_64",
    "hypervisor_type": "qemu",
    "os_type": "linux",
    "os_distro": "debian",
    "kernel_path": "$OUT_DIR/vmlinuz",
    "initrd_path": "$OUT_DIR/initrd.img",
    "kernel_cmdline": "$CMDLINE",
    "kernel_release": "$RELEASE",
    "boot_marker": "$MARKER"
  }
}
EOF
echo "$RECIPE" >"$OUT_DIR/recipe"
say "guest image ready in $OUT_DIR ($(du -sh "$OUT_DIR" | cut -f1))"
cat "$OUT_DIR/image.json"
