#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything a developer and CI need on Debian 12: what the build
# needs (scripts/setup-deps.sh), and what the tests, the demo and the
# bench need: qemu and the headers of the Debian cloud kernel the guest
# boots, linux-source (checkpatch, the kselftest harness, resolve_btfids),
# the simulated city's attack tools, Prometheus, the i386 headers of
# `make module32`, dkms and lintian for the package tests, mmdebstrap for
# the Debian 12 system the packages are installed on, the arm64 and
# armhf cross toolchains and libraries of `make cross`, and NATS for the
# fleet's agent and its tests.
#
# Not for a router: there, scripts/setup-deps.sh or the packages.
#
# Usage: scripts/setup-dev.sh        (as root)
#
# Idempotent, like setup-deps.sh: nothing is fetched when all is there.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PACKAGES=(
	llvm
	linux-source-6.1 linux-kbuild-6.1
	qemu-system-x86 qemu-system-common busybox-static
	iproute2 xdp-tools nftables cpio ethtool util-linux
	# The cloud kernel's vmlinuz is LZ4-compressed: extract-vmlinux needs it.
	lz4
	# The end-to-end tests and the demo drive traffic with python3.
	python3
	# The simulated city's attacks (tests/lib/city.sh): real tools.
	# tcpreplay sends a city's capture live, tcpdump records when each
	# frame really left (eval/live.sh).
	nmap hping3 tcpreplay tcpdump
	# The metrics test runs a real Prometheus server against /metrics;
	# curl queries its API.
	prometheus curl
	# contrib/: promtool checks the alerting rules and the dashboard's
	# PromQL, which tests/lib/promcheck.py reads (YAML); shellcheck
	# checks the OpenWrt init script.
	python3-yaml shellcheck
	# tests/unit/package.sh: DKMS builds the packaged module; lintian.
	dkms openssl lintian devscripts fakeroot pahole xz-utils zstd file
	# tests/unit/wire_vectors.sh: an independent reading of the device
	# protocol (tests/lib/wire_ref.py).
	python3-cryptography
	# tests/unit/fuzz.sh: clang's libFuzzer and sanitizer runtimes.
	libclang-rt-14-dev
	# tests/system/package_test.sh: a Debian 12 root file system from
	# Debian's archive, on an ext4 disk image.
	mmdebstrap e2fsprogs
	# tests/unit/service.sh: systemd-analyze security of the units.
	systemd
	# make stress: the debug guest kernel, built from linux-source-6.1
	# (scripts/debug-kernel.sh).
	flex bison bc rsync libelf-dev libssl-dev
	# The fleet (Documentation/fleet.rst): tests/unit/fleet.sh runs a
	# real cluster of nats-server on loopback and makes the operators'
	# TOTP codes with oathtool (the libraries are setup-deps.sh's).
	nats-server oathtool
	# make cross (tests/unit/cross.sh): compilers, and the libraries the
	# tools link with, for each architecture (multiarch).
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
)
META=linux-image-cloud-amd64
# tests/unit/module32.sh builds the module for Debian's i386 kernel too,
# with the host's gcc (-m32) and kbuild tools: only its headers are i386.
# tests/unit/cross.sh links the tools for arm64 and armhf.
FOREIGN_ARCHS=(i386 arm64 armhf)
CROSS_ARCHS=(arm64 armhf)
CROSS_LIBS=(libbpf-dev libelf-dev zlib1g-dev libmnl-dev libmicrohttpd-dev libssl-dev
	libsystemd-dev libpcap-dev libnats-dev libjson-c-dev liboath-dev libcrypt-dev)

die() {
	echo "setup-dev: $*" >&2
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
added=0
for arch in "${FOREIGN_ARCHS[@]}"; do
	if ! dpkg --print-foreign-architectures | grep -x "$arch" >/dev/null; then
		echo "setup-dev: adding architecture $arch"
		dpkg --add-architecture "$arch"
		added=1
	fi
done
[ "$added" -eq 0 ] || apt_update

abi=$(resolve_abi || true)
if [ -z "$abi" ]; then
	# No package lists yet (fresh container): fetch them and retry.
	apt_update
	abi=$(resolve_abi || true)
fi
[ -n "$abi" ] || die "cannot resolve the ABI of $META"
echo "setup-dev: guest kernel ABI $abi"

extra=("${PACKAGES[@]}" "linux-headers-$abi-cloud-amd64"
	"linux-headers-$abi-686-pae:i386")
for arch in "${CROSS_ARCHS[@]}"; do
	extra+=("${CROSS_LIBS[@]/%/:$arch}")
done
bash "$HERE/setup-deps.sh" "${extra[@]}"
