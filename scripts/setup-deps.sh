#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages that building iotguard needs: the tools
# (`make user sync`), the Debian packages (dpkg-buildpackage) and, with the
# kernel's headers, the module (`make KDIR=... module`). Nothing for the
# tests or the demo: scripts/setup-dev.sh adds those (qemu, the guest
# kernel, nmap, hping3, Prometheus, ...), for developers and CI.
#
# Usage: scripts/setup-deps.sh [PACKAGE...]        (as root)
#
#	PACKAGE  more packages to install in the same run (setup-dev.sh's)
#
# Idempotent: packages already installed are not touched, and the package
# lists are only refreshed when something has to be installed, so a second
# run is quick, quiet and needs no network.
set -euo pipefail

# --no-install-recommends: without it apt pulls in ~180 extra packages.
PACKAGES=(
	build-essential pkg-config
	# The XDP program and its skeleton, built into the tools.
	clang bpftool libbpf-dev libelf-dev zlib1g-dev
	# The tools: netlink; iotguardd: /metrics over HTTP, sd_notify for
	# Type=notify, captures for --replay.
	libmnl-dev libmicrohttpd-dev libsystemd-dev libpcap-dev
	# libiotguard-device's host backend and iotguard-device (device/).
	libssl-dev
	# The city (`make sync'): NATS JetStream (libnats) in JSON (json-c);
	# iotguard-gate checks TOTP codes with liboath, passwords with
	# libcrypt (yescrypt).
	libnats-dev libjson-c-dev liboath-dev libcrypt-dev
	# Module BTF (pahole) and loading the module.
	dwarves kmod
	# dpkg-buildpackage -us -uc -b (debian/).
	debhelper dh-dkms
)

die() {
	echo "setup-deps: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"

export DEBIAN_FRONTEND=noninteractive

# installed PACKAGE[:ARCH]: without :ARCH, for this machine's architecture
# (or all): with arm64 and armhf added, libbpf-dev is three packages.
native=$(dpkg --print-architecture)
installed() {
	local name=${1%%:*} arch=${1#*:}

	[ "$arch" != "$1" ] || arch="($native|all)"
	dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$name" \
		2>/dev/null | grep -xE "$arch installed" >/dev/null
}

missing=()
for pkg in "${PACKAGES[@]}" "$@"; do
	installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "setup-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
