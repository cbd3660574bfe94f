#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian cloud guest kernel under qemu and run one command in it as
# root; the guest sees the host's root file system read-only (so it has the
# host's tools and this repo's build tree) and the kernel has modules, BTF
# and module BTF, which the 6.18 host kernel (CONFIG_MODULES=n) cannot give.
#
# Usage: tests/vm/run.sh [--timeout SECS] [--] CMD [ARG...]
#
#	CMD runs as an argv (no shell parsing; use `sh -c '...'` for shell
#	syntax) as root, cwd = the repo, stdin /dev/null.  Its stdout and
#	stderr (merged) are streamed to our stdout, and we exit with its exit
#	status.  124: the host timeout (default 900 s) fired; 125: the VM
#	failed before reporting a status (see build/vm/console.log).
#
# Environment:
#	IOTGUARD_KERNEL_DIR   guest kernel dir from scripts/guest-kernel.sh
#	                      (default <repo>/build/kernel, made if missing)
#	IOTGUARD_VM_MEM       guest RAM (default 2G)
#	IOTGUARD_VM_SMP       guest CPUs (default 2)
#	IOTGUARD_VM_CONSOLE=1 also stream the serial console to stderr
#	IOTGUARD_VM_SANDBOX   virtiofsd sandbox of the results share: namespace
#	                      (default) or chroot (containers without unshare)
#	IOTGUARD_VM_KERNEL    boot this kernel instead of the image's vmlinuz
#	                      (e.g. $IOTGUARD_KERNEL_DIR/vmlinux for PVH boot)
#	IOTGUARD_VM_APPEND    more kernel command line (the debug kernel's)
#	IOTGUARD_VM_DIR       the run's working dir: lock, initramfs, logs and
#	                      the results share out/ (default <repo>/build/vm);
#	                      runs with different dirs boot side by side
#	IOTGUARD_VM_GUESTFWD  TCP ports ("24222 24223"): the guest gets a NIC on
#	                      qemu's user network, restricted (nothing routed
#	                      out), where 10.0.2.100:PORT is the host's
#	                      127.0.0.1:PORT, each PORT; the guest brings it up
#	                      (modprobe virtio_net). The fleet's stress form
#	                      reaches its cluster on the host so.
#	IOTGUARD_*            all exported into the guest command's environment
#
# The guest command also gets IOTGUARD_VM_OUT (the writable results dir) and
# IOTGUARD_VM_REPO; a test can use the former to tell it runs in the VM.
#
# Inside the guest: / is the host's root (read-only); /tmp is an overlay of
# the host's /tmp with a RAM upper layer (host files there are visible, guest
# writes are not kept); /run, /var/tmp, /root are tmpfs; <repo>/build/vm/out
# is writable and shared with the host (fresh per run; put big results
# there, the serial console is slow).  /lib/modules is the guest kernel's.
#
# Runs must be root (virtiofsd).  Concurrent runs with one IOTGUARD_VM_DIR
# are serialised.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/qemu.sh
. "$REPO/tests/lib/qemu.sh"

die() {
	echo "vm: $*" >&2
	exit 125
}

usage() {
	echo "usage: $0 [--timeout SECS] [--] CMD [ARG...]" >&2
	exit 2
}

TIMEOUT=900
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout)
		[ $# -ge 2 ] || usage
		TIMEOUT=$2
		shift 2
		;;
	--timeout=*)
		TIMEOUT=${1#--timeout=}
		shift
		;;
	--)
		shift
		break
		;;
	-h | --help)
		usage
		;;
	*)
		break
		;;
	esac
done
[ $# -ge 1 ] || usage
case "$TIMEOUT" in
'' | *[!0-9]*) die "--timeout wants whole seconds, got '$TIMEOUT'" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (virtiofsd needs it)"

MEM=${IOTGUARD_VM_MEM:-2G}
SMP=${IOTGUARD_VM_SMP:-2}
SANDBOX=${IOTGUARD_VM_SANDBOX:-namespace}
VIRTIOFSD=/usr/lib/qemu/virtiofsd
BUSYBOX=/bin/busybox
[ -x "$VIRTIOFSD" ] || die "$VIRTIOFSD missing (scripts/setup-dev.sh)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (scripts/setup-dev.sh)"
# The initramfs has no libc: a dynamic busybox (package busybox) would not run.
if readelf -l "$BUSYBOX" 2>/dev/null | grep INTERP >/dev/null; then
	die "$BUSYBOX is dynamic: install busybox-static"
fi

KDIR=${IOTGUARD_KERNEL_DIR:-$REPO/build/kernel}
if [ ! -f "$KDIR/kver" ] || [ ! -d "$KDIR/image" ]; then
	"$REPO/scripts/guest-kernel.sh" "$KDIR" >&2
fi
KDIR=$(cd "$KDIR" && pwd -P)
KVER=$(cat "$KDIR/kver")
VMLINUZ=${IOTGUARD_VM_KERNEL:-$KDIR/image/boot/vmlinuz-$KVER}
# Bound in the guest below /newroot: a symlink in the path (the debug
# kernel's image lives in a cache) must be resolved here, on the host.
MODROOT=$(readlink -f "$KDIR/image/lib/modules")
[ -f "$VMLINUZ" ] || die "$VMLINUZ missing: rerun scripts/guest-kernel.sh $KDIR"
[ -d "$MODROOT/$KVER" ] || die "$MODROOT/$KVER missing"

VMDIR=${IOTGUARD_VM_DIR:-$REPO/build/vm}
mkdir -p "$VMDIR"
VMDIR=$(cd "$VMDIR" && pwd)
OUT=$VMDIR/out
# virtiofsd splits -o source=... at commas and refuses a symlink there.
case "$OUT" in
*,*) die "the repo path must not contain a comma (virtiofsd): $REPO" ;;
esac
mkdir -p "$VMDIR"

# Sockets and the console log live in a private /tmp dir: unix socket paths
# are limited to 108 bytes and qemu's option parser chokes on commas, and
# the repo path may have either.
RUNDIR=$(mktemp -d /tmp/iotguard-vm.XXXXXX)
PIDS=()

# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
	local pid running
	# Only what we started, by PID, and only while it is still one of our
	# unreaped jobs (a reaped PID may already belong to someone else).
	# virtiofsd's sandbox child dies with its parent (PR_SET_PDEATHSIG);
	# timeout(1) passes the signal on to qemu.
	running=" $(jobs -pr | tr '\n' ' ') "
	for pid in "${PIDS[@]}"; do
		case "$running" in
		*" $pid "*) kill "$pid" 2>/dev/null || true ;;
		esac
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	# Keep the logs of the last run for post-mortems.
	for f in console.log qemu.log virtiofsd.log; do
		if [ -f "$RUNDIR/$f" ]; then
			cp "$RUNDIR/$f" "$VMDIR/$f" 2>/dev/null || true
		fi
	done
	rm -rf "$RUNDIR"
}
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT
trap 'echo "vm: terminated" >&2; exit 143' TERM

# One VM per IOTGUARD_VM_DIR at a time: they would share its out/.  flock(2) locks
# belong to the open file, which the child shares with us, so the lock
# stays ours after flock(1) exits; waiting for it in the background keeps
# the traps above working (a foreground child would defer them).
exec 9>"$VMDIR/lock"
if ! flock -n 9; then
	echo "vm: waiting for another run in $REPO to finish" >&2
	flock 9 &
	PIDS+=($!)
	wait $!
fi

# Quote for the busybox sh of the initramfs (no $'...' there).
sq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# ---------------------------------------------------------------- initramfs
# Just enough to reach the host's root over virtiofs: busybox, the virtio
# PCI transport + fuse + virtiofs modules (all modules in the cloud kernel)
# and overlay for /tmp; and the kernel's ChaCha20-Poly1305 library, which
# iotguard.ko needs and the tests insmod it without.  modprobe --show-depends reads the image's
# modules.dep (written by depmod in guest-kernel.sh) and gives load order.
build_initramfs() {
	local stage=$RUNDIR/initramfs mods key f n=0 name

	# An array: the repo path may contain spaces.
	mapfile -t mods < <(modprobe -d "$KDIR/image" -S "$KVER" \
		--show-depends -a virtio_pci virtiofs overlay \
		libchacha20poly1305 |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	[ "${#mods[@]}" -ge 6 ] ||
		die "cannot resolve the virtiofs modules in $MODROOT"

	mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" \
		"$stage/newroot" "$stage/modules"
	{
		echo '#!/bin/sh'
		echo '# Generated by tests/vm/run.sh: the guest initramfs init.'
		echo "REPO=$(sq "$REPO")"
		echo "OUT=$(sq "$OUT")"
		echo "MODROOT=$(sq "$MODROOT")"
		cat <<'EOF'
# Mount what the switched root needs, then hand over to guest-init.sh.
# Everything that can fail powers off: a hung guest would only be noticed
# at the host's timeout.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
# The kernel found no /dev/console in the cpio: open it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

fail() {
	echo "vm-init: $*"
	echo o >/proc/sysrq-trigger
	sleep 10
	exit 1
}

for m in $(cat /modules/order); do
	insmod "/modules/$m" || fail "insmod $m"
done

# The host's / over virtiofs, read-only: the guest uses the host's tools.
mount -t virtiofs -o ro rootfs /newroot || fail "mount rootfs"
# The guest kernel's modules (with modules.dep) where modprobe and the
# kernel's autoloader look for them; bound before /root and /tmp are
# covered, for the debug kernel's are in a cache under ~/.cache.
mount --bind "/newroot$MODROOT" /newroot/lib/modules || fail "bind /lib/modules"
# Writable RAM dirs for tools that want to write home or temp files.
mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fail "tmpfs /run"
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp || fail "tmpfs /var/tmp"
mount -t tmpfs -o mode=0700 tmpfs /newroot/root || fail "tmpfs /root"
# /tmp: the host's /tmp (e.g. a module built there) under a RAM layer.
mkdir -p /newroot/run/.tmp-ovl/upper /newroot/run/.tmp-ovl/work
chmod 1777 /newroot/run/.tmp-ovl/upper
mount -t overlay -o lowerdir=/newroot/tmp,upperdir=/newroot/run/.tmp-ovl/upper,workdir=/newroot/run/.tmp-ovl/work overlay /newroot/tmp ||
	mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "tmpfs /tmp"
# The writable results share, at its own path inside the repo.
mount -t virtiofs results "/newroot$OUT" || fail "mount results"

# Hand the kernel file systems over, and do the rest of the system set-up
# here too: every exec of a dynamic binary over virtiofs costs ~0.15 s under
# TCG, a static busybox from RAM almost nothing.  guest-init.sh only checks.
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
ln -s /proc/self/fd /newroot/dev/fd
# bpffs for pinning; cgroup2 for cgroup BPF; tracing for bpf_printk.
mount -t bpf -o mode=0700 bpf /newroot/sys/fs/bpf || fail "bpffs"
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mount -t tracefs tracefs /newroot/sys/kernel/tracing
mount -t debugfs debugfs /newroot/sys/kernel/debug
echo iotguard-vm >/proc/sys/kernel/hostname
ip link set dev lo up
# New interfaces (test veths) must not autoconfigure IPv6 or send router
# solicitations: they would show up in the counters the tests check.
for c in default all; do
	echo 0 >/proc/sys/net/ipv6/conf/$c/accept_ra
	echo 0 >/proc/sys/net/ipv6/conf/$c/autoconf
done
export IOTGUARD_VM_REPO="$REPO" IOTGUARD_VM_OUT="$OUT"
# switch_root, not chroot: module autoload (e.g. veth) needs the real root.
exec switch_root /newroot /bin/bash "$REPO/tests/vm/guest-init.sh"
fail "switch_root"
EOF
	} >"$stage/init"
	chmod 0755 "$stage/init"

	# The cache key covers the init text and every file packed in.
	key=$({
		sha256sum "$stage/init" | cut -d' ' -f1
		stat -L -c '%n %s %Y' "$BUSYBOX" "${mods[@]}"
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$VMDIR/initramfs.cpio" ] && [ -f "$VMDIR/initramfs.key" ] &&
	   [ "$(cat "$VMDIR/initramfs.key")" = "$key" ]; then
		return
	fi

	cp "$BUSYBOX" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	for f in "${mods[@]}"; do
		n=$((n + 1))
		name=$(printf '%02d-%s' "$n" "$(basename "$f")")
		cp "$f" "$stage/modules/$name"
		echo "$name" >>"$stage/modules/order"
	done
	# Uncompressed: decompressing under TCG costs more than reading it.
	(cd "$stage" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$VMDIR/initramfs.cpio.tmp"
	mv "$VMDIR/initramfs.cpio.tmp" "$VMDIR/initramfs.cpio"
	echo "$key" >"$VMDIR/initramfs.key"
}
build_initramfs

# ---------------------------------------------------------------- results dir
rm -rf "$OUT"
mkdir -p "$OUT"
{
	echo '#!/bin/bash'
	echo '# Generated by tests/vm/run.sh: the command to run in the guest.'
	# Pass the project's knobs through; nothing else of the host env.
	compgen -e | grep '^IOTGUARD_' | grep -v '^IOTGUARD_VM_\(OUT\|REPO\)$' |
	while read -r v; do
		printf 'export %s=%q\n' "$v" "${!v}"
	done || true
	printf 'cd %q || exit 125\n' "$REPO"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$OUT/cmd.sh"
# Created here so `tail -f` can follow it from the start; the guest appends.
: >"$OUT/output"

# ---------------------------------------------------------------- virtiofsd
start_virtiofsd() {
	local sock=$1 src=$2 cache=$3 sandbox=$4
	"$VIRTIOFSD" --socket-path="$sock" \
		-o source="$src",cache="$cache",sandbox="$sandbox" \
		-o log_level=err --rlimit-nofile=65536 \
		>>"$RUNDIR/virtiofsd.log" 2>&1 </dev/null &
	PIDS+=($!)
}
# The root share is read-only in the guest (mount -o ro) and nothing on the
# host changes it during a run: cache=always.  Results: write-through.
# The namespace sandbox pivot_roots into the source, which fails with EBUSY
# for / itself; chroot("/") is what sharing / amounts to anyway.
start_virtiofsd "$RUNDIR/root.sock" / always chroot
start_virtiofsd "$RUNDIR/out.sock" "$OUT" auto "$SANDBOX"
for _ in $(seq 100); do
	[ -S "$RUNDIR/root.sock" ] && [ -S "$RUNDIR/out.sock" ] && break
	sleep 0.05
done
if ! [ -S "$RUNDIR/root.sock" ] || ! [ -S "$RUNDIR/out.sock" ]; then
	cat "$RUNDIR/virtiofsd.log" >&2
	die "virtiofsd did not start"
fi

# ---------------------------------------------------------------- qemu
qemu_accel

# panic=-1 + -no-reboot: any guest panic (e.g. init dying) ends qemu at once.
# mitigations=off: no speculation workarounds, they only slow TCG down.
# no_timer_check: on a busy host the guest's timer IRQ check can miss its
# window and panic the boot ("IO-APIC + timer doesn't work").
APPEND="console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off no_timer_check"
APPEND+=" i8042.noaux i8042.nokbd i8042.nopnp 8250.nr_uarts=1"
APPEND+=${IOTGUARD_VM_APPEND:+ $IOTGUARD_VM_APPEND}

# shellcheck disable=SC2054  # the commas are qemu's
qemu=(
	qemu-system-x86_64 "${ACCEL[@]}"
	-m "$MEM" -smp "$SMP"
	-object memory-backend-memfd,id=mem,size="$MEM",share=on
	-numa node,memdev=mem
	-nodefaults -nographic -no-reboot -monitor none
	-serial file:"$RUNDIR/console.log"
	-kernel "$VMLINUZ" -initrd "$VMDIR/initramfs.cpio" -append "$APPEND"
	-chardev socket,id=vfsroot,path="$RUNDIR/root.sock"
	-device vhost-user-fs-pci,chardev=vfsroot,tag=rootfs
	-chardev socket,id=vfsout,path="$RUNDIR/out.sock"
	-device vhost-user-fs-pci,chardev=vfsout,tag=results
)

# The host's loopback ports, and nothing else, for the guest.
if [ -n "${IOTGUARD_VM_GUESTFWD:-}" ]; then
	netdev=user,id=net0,restrict=on
	for port in $IOTGUARD_VM_GUESTFWD; do
		case $port in
		'' | *[!0-9]*) die "IOTGUARD_VM_GUESTFWD: not a port: '$port'" ;;
		esac
		# A command per connection: a chardev target would be one
		# connection for the whole run.
		netdev+=",guestfwd=tcp:10.0.2.100:$port-cmd:$BUSYBOX nc 127.0.0.1 $port"
	done
	qemu+=(-netdev "$netdev" -device virtio-net-pci,netdev=net0)
fi

start=$(date +%s.%N)
# timeout(1) is our child: it kills qemu (and only qemu) when time is up.
timeout -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null >>"$RUNDIR/qemu.log" 2>&1 &
QEMU=$!
PIDS+=("$QEMU")

# Stream the command's output while it runs; tail exits after qemu does.
tail -n +1 -s 0.2 -f --pid="$QEMU" "$OUT/output" &
PIDS+=($!)
TAIL=$!
if [ "${IOTGUARD_VM_CONSOLE:-0}" = 1 ]; then
	touch "$RUNDIR/console.log"
	tail -n +1 -s 0.2 -f --pid="$QEMU" "$RUNDIR/console.log" >&2 &
	PIDS+=($!)
fi

qrc=0
wait "$QEMU" || qrc=$?
wait "$TAIL" || true
end=$(date +%s.%N)

boot=
if [ -f "$OUT/boot-uptime" ]; then
	boot=$(cut -d' ' -f1 "$OUT/boot-uptime")
fi
awk -v k="$KVER" -v b="${boot:-?}" -v s="$start" -v e="$end" \
	'BEGIN { printf "vm: %s, guest init after %ss uptime, total %.1fs wall\n", k, b, e - s }' >&2

if [ -f "$OUT/status" ]; then
	rc=$(cat "$OUT/status")
	if [ "$rc" -ne 0 ]; then
		echo "vm: command exited $rc (kernel log: $VMDIR/console.log)" >&2
	fi
	exit "$rc"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "vm: timed out after ${TIMEOUT}s (console: $VMDIR/console.log)" >&2
	tail -n 20 "$RUNDIR/console.log" >&2 || true
	exit 124
fi
echo "vm: guest reported no exit status (qemu rc $qrc)" >&2
cat "$RUNDIR/qemu.log" "$RUNDIR/virtiofsd.log" >&2 2>/dev/null || true
tail -n 30 "$RUNDIR/console.log" >&2 || true
exit 125
