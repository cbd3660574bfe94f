#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages iotguard needs to build, to test on the
# host and to boot the Debian cloud guest kernel under qemu.
#
# Usage: scripts/setup-deps.sh        (as root)
#
# Idempotent: packages already installed are not touched, and the package
# lists are only refreshed when something has to be installed, so a second
# run is quick, quiet and needs no network.
set -euo pipefail

# --no-install-recommends: without it apt pulls in ~180 extra packages.
PACKAGES=(
	build-essential clang llvm libbpf-dev bpftool
	linux-source-6.1 linux-kbuild-6.1 dwarves libelf-dev zlib1g-dev
	libmnl-dev libnl-3-dev libnl-route-3-dev pkg-config
	qemu-system-x86 qemu-system-common busybox-static
	iproute2 xdp-tools nftables kmod cpio ethtool util-linux
	# The cloud kernel's vmlinuz is LZ4-compressed: extract-vmlinux needs it.
	lz4
	# The end-to-end tests and the demo drive traffic with python3.
	python3
	# The simulated city's attacks (tests/lib/city.sh): real tools.
	nmap hping3
	# iotguardd: /metrics over HTTP, sd_notify for Type=notify.
	libmicrohttpd-dev libsystemd-dev
	# iotguardd --replay reads captures; the metrics test runs a real
	# Prometheus server against /metrics; curl queries its API.
	libpcap-dev prometheus curl
	# contrib/: promtool checks the alerting rules and the dashboard's
	# PromQL, which tests/lib/promcheck.py reads (YAML); shellcheck
	# checks the OpenWrt init script.
	python3-yaml shellcheck
)
META=linux-image-cloud-amd64
# tests/unit/module32.sh builds the module for Debian's i386 kernel too,
# with the host's gcc (-m32) and kbuild tools: only its headers are i386.
FOREIGN_ARCH=i386

die() {
	echo "setup-deps: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"

export DEBIAN_FRONTEND=noninteractive
updated=0

apt_update() {
	# Only once per run, and only when we really need the mirror.
	if [ "$updated" -eq 0 ]; then
		apt-get update -qq
		updated=1
	fi
}

# The headers must match the kernel the guest boots, i.e. whatever the
# linux-image-cloud-amd64 meta package currently depends on.  Security
# updates bump the ABI and old ABIs leave the mirror, so never hard-code it.
resolve_abi() {
	apt-cache depends "$META" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: linux-image-\(.*\)-cloud-amd64$/\1/p' |
		head -n1
}

# Before the package lists are read: a new architecture needs fresh ones.
if ! dpkg --print-foreign-architectures | grep -qx "$FOREIGN_ARCH"; then
	echo "setup-deps: adding architecture $FOREIGN_ARCH"
	dpkg --add-architecture "$FOREIGN_ARCH"
	apt_update
fi

abi=$(resolve_abi || true)
if [ -z "$abi" ]; then
	# No package lists yet (fresh container): fetch them and retry.
	apt_update
	abi=$(resolve_abi || true)
fi
[ -n "$abi" ] || die "cannot resolve the ABI of $META"
echo "setup-deps: guest kernel ABI $abi"

missing=()
for pkg in "${PACKAGES[@]}" "linux-headers-$abi-cloud-amd64" \
	"linux-headers-$abi-686-pae:$FOREIGN_ARCH"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "setup-deps: installing ${missing[*]}"
apt_update
apt-get install -y -qq --no-install-recommends "${missing[@]}"
