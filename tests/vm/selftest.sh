#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Quick self-check of the VM rig: boots the guest twice (~6 s each under
# TCG) and checks what the project relies on:
#	- the guest runs the Debian cloud kernel, modprobe/autoload work (veth),
#	  a veth pair passes traffic between two network namespaces
#	- /sys/kernel/btf/vmlinux equals build/kernel/vmlinux.btf (the base our
#	  module BTF is generated against)
#	- a module built against build/kernel/kdir carries .BTF, loads, and
#	  its BTF shows up in /sys/kernel/btf/<module>
#	- an XDP program attaches and bpftool lists it
#	- the guest command's exit status reaches the host
#
# Usage: tests/vm/selftest.sh        (as root; prints PASS or exits non-zero)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KDIR=${IOTGUARD_KERNEL_DIR:-$REPO/build/kernel}
# Inputs built on the host, read by the guest from the read-only root share.
WORK=$REPO/build/vm/selftest

"$REPO/scripts/guest-kernel.sh" "$KDIR" >/dev/null
KDIR=$(cd "$KDIR" && pwd)
export IOTGUARD_KERNEL_DIR=$KDIR

rm -rf "$WORK"
mkdir -p "$WORK/mod"

# A trivial module: checks kbuild's "BTF [M]" path end to end.
cat >"$WORK/mod/vmselftest.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/init.h>
#include <linux/module.h>

static int __init vmselftest_init(void)
{
	pr_info("vmselftest: loaded\n");
	return 0;
}

static void __exit vmselftest_exit(void)
{
	pr_info("vmselftest: unloaded\n");
}

module_init(vmselftest_init);
module_exit(vmselftest_exit);
MODULE_LICENSE("GPL");
EOF
echo 'obj-m := vmselftest.o' >"$WORK/mod/Kbuild"
make -s -C "$KDIR/kdir" M="$WORK/mod" RESOLVE_BTFIDS="$KDIR/bin/resolve_btfids" \
	modules >"$WORK/mod/build.log" 2>&1 || {
	cat "$WORK/mod/build.log" >&2
	echo "FAIL: module build" >&2
	exit 1
}
if ! readelf -S "$WORK/mod/vmselftest.ko" | grep '\.BTF' >/dev/null; then
	cat "$WORK/mod/build.log" >&2
	echo "FAIL: vmselftest.ko has no .BTF section" >&2
	exit 1
fi

# A minimal XDP program (clang on Debian needs the multiarch include dir).
cat >"$WORK/xdp_pass.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>

__attribute__((section("xdp"), used))
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
	-c "$WORK/xdp_pass.c" -o "$WORK/xdp_pass.o"

# The guest part: each check prints one line; the first failure stops it.
cat >"$WORK/guest.sh" <<EOF
#!/bin/bash
set -euo pipefail
WORK='$WORK'
KDIR='$KDIR'
EOF
cat >>"$WORK/guest.sh" <<'EOF'
ok() { echo "ok: $*"; }
echo "kernel: $(uname -r)"
[ "$(uname -r)" = "$(cat "$KDIR/kver")" ]; ok "guest kernel"
cmp -s /sys/kernel/btf/vmlinux "$KDIR/vmlinux.btf"; ok "vmlinux BTF identical"

modprobe veth; ok "modprobe veth"
# "ip link add a ..." would read the bare "a" as "address": say "name".
ip link add name a type veth peer name b; ok "veth pair"
ip netns add ns1
ip link set dev b netns ns1
ip addr add 10.200.0.1/24 dev a
ip link set dev a up
ip -n ns1 addr add 10.200.0.2/24 dev b
ip -n ns1 link set dev b up
ip -n ns1 link set dev lo up
ip -br link
busybox ping -c 1 -W 2 10.200.0.2 >/dev/null; ok "ping over veth"
echo "btf:" /sys/kernel/btf/*

ip link set dev a xdpgeneric obj "$WORK/xdp_pass.o" sec xdp
bpftool prog show | grep xdp_pass; ok "bpftool lists xdp_pass"
id=$(bpftool prog show name xdp_pass | sed -n "s/^\([0-9]*\):.*/\1/p")
bpftool net show dev a | grep "generic id $id"; ok "xdp_pass attached"
ip link set dev a xdpgeneric off

insmod "$WORK/mod/vmselftest.ko"
[ -f /sys/kernel/btf/vmselftest ]; ok "module BTF in /sys/kernel/btf"
dmesg | grep "vmselftest: loaded"; ok "module loaded"
rmmod vmselftest; ok "module unloaded"
EOF

echo "selftest: boot 1 (checks)"
start=$(date +%s%N)
if ! "$HERE/run.sh" --timeout 300 -- bash "$WORK/guest.sh"; then
	echo "FAIL: guest checks" >&2
	exit 1
fi
echo "selftest: boot 1 took $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "selftest: boot 2 (exit status)"
rc=0
"$HERE/run.sh" --timeout 300 -- sh -c 'exit 42' || rc=$?
if [ "$rc" -ne 42 ]; then
	echo "FAIL: guest exit status 42 came back as $rc" >&2
	exit 1
fi
echo "ok: exit status propagates"
echo PASS
