#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM, after tests/vm/run.sh's initramfs has switch_rooted
# into the host's root (read-only over virtiofs).  Makes sure the system is
# set up, runs the command run.sh wrote to the results share, stores its
# exit status there and powers off.  Not meant to be run by hand.
#
# Environment from the initramfs: IOTGUARD_VM_OUT (results dir) and
# IOTGUARD_VM_REPO, both passed on to the command.
#
# Under TCG every exec of a dynamic binary over virtiofs costs ~0.15 s, so
# the initramfs (static busybox) already did the mounts and sysctls; this
# script only checks with builtins and repairs what is missing.
set -euo pipefail

OUT=${IOTGUARD_VM_OUT:?}

# Whatever happens below, never leave the VM running: qemu only exits when
# the guest powers off (or panics: PID 1 exiting also does, via panic=-1).
halt() {
	sync
	/bin/busybox poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 30
}
trap halt EXIT

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
cd /

# Boot time as seen by the guest: run.sh prints it.
read -r up _ </proc/uptime || up='?'
echo "$up" >"$OUT/boot-uptime"

mounts=$(</proc/self/mounts) || mounts=
mnt() {
	local type=$1 dir=$2
	shift 2
	case "$mounts" in
	*" $dir "*) return 0 ;;
	esac
	mkdir -p "$dir"
	mount -t "$type" "$@" "$type" "$dir"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts -o gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm -o mode=1777
mnt bpf /sys/fs/bpf -o mode=0700
mnt cgroup2 /sys/fs/cgroup || true
mnt tracefs /sys/kernel/tracing || true
mnt debugfs /sys/kernel/debug || true
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

echo iotguard-vm >/proc/sys/kernel/hostname
read -r flags </sys/class/net/lo/flags
(( flags & 1 )) || ip link set dev lo up
# No IPv6 autoconf / router solicitations on the tests' veths.
for c in default all; do
	echo 0 >"/proc/sys/net/ipv6/conf/$c/accept_ra"
	echo 0 >"/proc/sys/net/ipv6/conf/$c/autoconf"
done
ulimit -l unlimited 2>/dev/null || true

echo "vm: running $OUT/cmd.sh" >/dev/console
rc=0
bash "$OUT/cmd.sh" >>"$OUT/output" 2>&1 </dev/null || rc=$?
echo "vm: command exited $rc" >/dev/console

# The host reads it only after qemu has exited: no need for a rename.
echo "$rc" >"$OUT/status"
