#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packaging/openwrt, as far as it can be checked without an OpenWrt SDK
# (packaging/openwrt/README.md says what needs one): the init script and
# the UCI renderer pass shellcheck; GNU make reads both feed Makefiles
# against stand-ins of the buildroot's includes (tests/lib/openwrt) and
# they define what a feed package must; the renderer writes the expected
# device file from a sample /etc/config/iotguard and refuses what would
# break it; start_service, run by busybox sh with every command stubbed,
# loads the module, applies the rendered file, attaches, detaches what no
# section names and starts iotguardd under procd; and the daemon links
# without libsystemd, through the package's stand-in <systemd/sd-daemon.h>.
# Host only. Emits TAP.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$REPO/tests/lib/tap.sh"
OWRT=$REPO/packaging/openwrt
FILES=$OWRT/iotguard/files
STUBLIB=$REPO/tests/lib/openwrt
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# show: the output of a command as TAP comments.
show() {
	sed -n '1,40s/^/# /p'
}

tap_plan 10

# ------------------------------------------------------------ shellcheck
if ! command -v shellcheck >/dev/null; then
	not_ok "shellcheck is installed"
elif out=$(cd "$FILES" && shellcheck -x iotguard.init iotguard-uci.sh \
	2>&1); then
	ok "shellcheck: the init script and the UCI renderer"
else
	not_ok "shellcheck: the init script and the UCI renderer"
	echo "$out" | show
fi

# ------------------------------------------------------- feed Makefiles
# feed DIR: what make reads in DIR's Makefile, VARIABLE=value lines.
feed() {
	make -s -C "$OWRT/$1" TOPDIR="$STUBLIB" 2>&1
}

# has FILE VARIABLE...: each VARIABLE=non-empty in FILE.
has() {
	local file=$1 v missing=

	shift
	for v in "$@"; do
		grep -qE "^$v=.+" "$file" || missing="$missing $v"
	done
	[ -z "$missing" ] || {
		echo "# missing or empty:$missing"
		return 1
	}
}

# The feed's version is the Makefile's (VERSION, one place).
version=$(make -s --no-print-directory -C "$REPO" version)
feed iotguard-kmod >"$TMP/kmod.vars" || true
if has "$TMP/kmod.vars" PACKAGE PKG_NAME PKG_VERSION PKG_RELEASE \
	PKG_LICENSE TITLE FILES DEPENDS SUBMENU PREPARE COMPILE &&
	grep -qx 'PACKAGE=kmod-iotguard' "$TMP/kmod.vars" &&
	grep -qx 'FILES=.*/kmod/iotguard.ko' "$TMP/kmod.vars" &&
	grep -qx "PKG_VERSION=$version" "$TMP/kmod.vars" &&
	grep -qx "IOTGUARD_SRC=$REPO" "$TMP/kmod.vars" &&
	grep -qx 'KMOD_DESCRIPTION=yes' "$TMP/kmod.vars"; then
	ok "kmod-iotguard: a KernelPackage of kmod/iotguard.ko, $version"
else
	not_ok "kmod-iotguard: a KernelPackage of kmod/iotguard.ko, $version"
	show <"$TMP/kmod.vars"
fi

feed iotguard >"$TMP/pkg.vars" || true
if has "$TMP/pkg.vars" PACKAGE PKG_NAME PKG_VERSION PKG_RELEASE \
	PKG_LICENSE TITLE DEPENDS SECTION CATEGORY CONFFILES PREPARE \
	COMPILE &&
	grep -qx 'PACKAGE=iotguard' "$TMP/pkg.vars" &&
	grep -qx "PKG_VERSION=$version" "$TMP/pkg.vars" &&
	grep -qx 'INSTALL=yes' "$TMP/pkg.vars" &&
	grep -qx 'DESCRIPTION=yes' "$TMP/pkg.vars" &&
	grep -q '^DEPENDS=.*+kmod-iotguard .*+libbpf .*+libmnl ' \
		"$TMP/pkg.vars" &&
	grep -q '^CONFFILES=/etc/config/iotguard ' "$TMP/pkg.vars" &&
	grep -q '^IOTGUARD_BPF_CFLAGS=.*-target bpfel ' "$TMP/pkg.vars"; then
	ok "iotguard: a package of the tools, depending on kmod-iotguard"
else
	not_ok "iotguard: a package of the tools, depending on kmod-iotguard"
	show <"$TMP/pkg.vars"
fi

# The files its install takes from the feed and from the tree.
missing=
for f in $(grep -oE '\./files/[A-Za-z0-9._/-]+' "$OWRT/iotguard/Makefile") \
	files/compat/systemd/sd-daemon.h; do
	[ -f "$OWRT/iotguard/$f" ] || missing="$missing $f"
done
for f in etc/iotguardd.conf Kbuild kmod/Kbuild; do
	[ -f "$REPO/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "every file the packages install is there"
else
	not_ok "every file the packages install is there"
	echo "# missing:$missing"
fi

# ------------------------------------------------------------- renderer
mkdir -p "$TMP/config"
cat >"$TMP/config/iotguard" <<'UCI'
config iotguard 'global'
	option enabled '1'
	option max_devices '4096'

config interface
	option name 'lan1'
	option mode 'monitor'

config interface
	option name 'lan2'
	option mode 'enforce'
	option xdp 'generic'
	option link_frames 'drop'
	option neigh_rate '50/s'

config interface
	option name 'lan3'
	option mode 'enforcing'

config device 'cam1'
	option address '198.18.1.12'
	option mac '02:00:00:00:01:0c'
	option name 'cam-1'
	option class 'camera'
	option rate '200'

config device
	option mac '02:00:00:00:01:0b'
	option name 'lamp-1'
	option class 'light'

config device
	option address '2001:2:0:7::/64'
	option mac '02:00:00:00:01:0d'
	option name 'air 1 "north" #2 \ east'
	option class 'sensor'
	option byte_rate '20k'
	option byte_burst '64k'
	option state 'quarantine'
	option pin '1'
UCI
cat >"$TMP/expected.conf" <<'CONF'
# Written by /etc/init.d/iotguard from /etc/config/iotguard:
# edit that (after each device, its UCI section).
198.18.1.12 name cam-1 class camera mac 02:00:00:00:01:0c rate 200 # cam1
mac 02:00:00:00:01:0b name lamp-1 class light # cfg6
2001:2:0:7::/64 name "air 1 \"north\" #2 \\ east" class sensor mac 02:00:00:00:01:0d byte-rate 20k byte-burst 64k state quarantine pin # cfg7
CONF

# OpenWrt's shell is busybox ash; dash is the nearest without busybox.
if command -v busybox >/dev/null; then
	SH="busybox sh"
else
	SH=dash
fi

# render CONFIG OUT: the renderer over $TMP/config/CONFIG into OUT. $SH
# is a command and its argument: split on purpose.
render() {
	# shellcheck disable=SC2016,SC2086
	UCI_CONFIG_DIR=$TMP/config $SH -c '
		. "$1/functions.sh"
		. "$2/iotguard-uci.sh"
		config_load "$3"
		iotguard_render_devices "$4"' \
		render "$STUBLIB" "$FILES" "$1" "$2"
}

if out=$(render iotguard "$TMP/devices.conf" 2>&1) &&
	diff -u "$TMP/expected.conf" "$TMP/devices.conf" >"$TMP/diff"; then
	ok "the device sections render to the expected device file ($SH)"
else
	not_ok "the device sections render to the expected device file ($SH)"
	{ echo "$out"; cat "$TMP/diff"; } | show
fi

# A device without an identity, and one with a tab in its name: the file
# is not written, the one before stays.
sed -e 's/^\toption address .2001.*$//' \
	-e "s/^\toption mac '02:00:00:00:01:0d'\$//" \
	"$TMP/config/iotguard" >"$TMP/config/noid"
printf "config device\n\toption address '198.18.1.20'\n\toption name 'a\tb'\n" \
	>"$TMP/config/tab"
cp "$TMP/expected.conf" "$TMP/kept.conf"

# refused CONFIG WHY DESCRIPTION: rendering CONFIG fails saying WHY, and
# the file rendered before is still there as it was.
refused() {
	local out

	if ! out=$(render "$1" "$TMP/kept.conf" 2>&1) &&
		echo "$out" | grep "$2" >/dev/null &&
		cmp -s "$TMP/expected.conf" "$TMP/kept.conf"; then
		ok "$3"
	else
		not_ok "$3"
		echo "$out" | show
	fi
}
refused noid 'neither address nor mac' \
	"a device section with no address or mac: nothing written"
refused tab 'name has a control character' \
	"a value with a control character: nothing written"

# ------------------------------------------------------- start_service
# The init script with its paths in $TMP and every command a stub that
# writes what it was asked to $TMP/calls: programs in $TMP/stubs, and
# functions for busybox's applets (busybox sh runs its own insmod and
# logger before any in PATH).
mkdir -p "$TMP/stubs" "$TMP/sys"
cat >"$TMP/stubs/iotguard" <<'STUB'
#!/bin/sh
echo "iotguard $*" >>"$CALLS"
case $1 in
status) cat "$STATUS_JSON" ;;
apply) cp "$2" "$APPLIED" && echo "added 3, changed 0, removed 0" ;;
esac
STUB
cat >"$TMP/stubs/jsonfilter" <<'STUB'
#!/bin/sh
[ "$*" = "-e @.links[*].interface" ] || exit 1
python3 -c 'import json, sys
for link in json.load(sys.stdin)["links"]:
    print(link["interface"])'
STUB
chmod +x "$TMP/stubs/"*
cat >"$TMP/status.json" <<'JSON'
{"module": {"loaded": true}, "pins": "/sys/fs/bpf/iotguard",
 "links": [{"interface": "lan1"}, {"interface": "lan2"},
	   {"interface": "old0"}]}
JSON
sed -e "s|/usr/lib/iotguard/uci.sh|$FILES/iotguard-uci.sh|" \
	-e "s|^IOTGUARD=.*|IOTGUARD=$TMP/stubs/iotguard|" \
	-e "s|^RENDERED=.*|RENDERED=$TMP/var/etc/iotguard/devices.conf|" \
	-e "s|/sys/module/iotguard|$TMP/sys/iotguard|g" \
	"$FILES/iotguard.init" >"$TMP/iotguard.init"

# service DIR: start_service over DIR/iotguard; the calls in $TMP/calls
# (a stub's path as its name), logs in $TMP/log.
service() {
	: >"$TMP/calls"
	: >"$TMP/log"
	# shellcheck disable=SC2016,SC2086
	PATH=$TMP/stubs:$PATH CALLS=$TMP/calls LOG=$TMP/log \
		STATUS_JSON=$TMP/status.json APPLIED=$TMP/applied.conf \
		UCI_CONFIG_DIR=$1 $SH -c '
		. "$1/functions.sh"
		call() { echo "$*" >>"$CALLS"; }
		insmod() { call insmod "$@"; }
		logger() { { echo "logger $*"; cat; } >>"$LOG"; }
		procd_open_instance() { call procd_open_instance "$@"; }
		procd_set_param() { call procd_set_param "$@"; }
		procd_close_instance() { call procd_close_instance; }
		. "$2"
		start_service
		echo "start_service returned $?" >>"$CALLS"' \
		service "$STUBLIB" "$TMP/iotguard.init" 2>>"$TMP/log"
	sed -i "s|$TMP/stubs/||" "$TMP/calls"
}

cat >"$TMP/expected.calls" <<CALLS
insmod iotguard max_devices=4096
iotguard apply $TMP/var/etc/iotguard/devices.conf
iotguard attach lan1 --monitor --mode native
iotguard attach lan2 --mode generic --link-frames drop --neigh-rate 50/s
iotguard status -j
iotguard detach old0
procd_open_instance iotguardd
procd_set_param command /usr/sbin/iotguardd --foreground --config /etc/iotguard/iotguardd.conf
procd_set_param respawn 3600 5 5
procd_set_param stdout 1
procd_set_param stderr 1
procd_set_param file /etc/iotguard/iotguardd.conf
procd_close_instance
start_service returned 0
CALLS
service "$TMP/config"
if diff -u "$TMP/expected.calls" "$TMP/calls" >"$TMP/diff" &&
	cmp -s "$TMP/expected.conf" "$TMP/applied.conf" &&
	grep -q "mode 'enforcing' is not monitor or enforce" "$TMP/log"
then
	ok "start_service: module, apply, attach, detach old0, iotguardd"
else
	not_ok "start_service: module, apply, attach, detach old0, iotguardd"
	{ cat "$TMP/diff"; cat "$TMP/log"; } | show
fi

# enabled 0, the module loaded: every interface detached, no daemon.
mkdir -p "$TMP/config-off" "$TMP/sys/iotguard"
sed "s/option enabled '1'/option enabled '0'/" "$TMP/config/iotguard" \
	>"$TMP/config-off/iotguard"
service "$TMP/config-off"
printf '%s\n' "iotguard status -j" "iotguard detach lan1" \
	"iotguard detach lan2" "iotguard detach old0" \
	"start_service returned 0" >"$TMP/expected.calls"
if diff -u "$TMP/expected.calls" "$TMP/calls" >"$TMP/diff"; then
	ok "start_service, enabled 0: every interface detached, no daemon"
else
	not_ok "start_service, enabled 0: every interface detached, no daemon"
	{ cat "$TMP/diff"; cat "$TMP/log"; } | show
fi

# ------------------------------------------------- no systemd on OpenWrt
# The daemon's main.c with the package's stand-in header, linked with the
# rest of the daemon as built and without -lsystemd.
objs=()
for o in "$REPO"/build/user/iotguardd/*.o; do
	[ -f "$o" ] && [ "${o##*/}" != main.o ] && objs+=("$o")
done
if [ "${#objs[@]}" -eq 0 ] || [ ! -f "$REPO/build/libiotguard.a" ]; then
	not_ok "iotguardd links without libsystemd (not built: make user)"
elif out=$(cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-DIOTGUARD_VERSION="\"$version\"" -I"$FILES/compat" -I"$REPO/include/uapi" -I"$REPO/include" \
	-I"$REPO/build/include" -I"$REPO/user/lib" \
	-o "$TMP/iotguardd" "$REPO/user/iotguardd/main.c" "${objs[@]}" \
	"$REPO/build/libiotguard.a" -lmnl -lbpf -lelf -lz -lm \
	-lmicrohttpd -lpthread -lpcap 2>&1) &&
	! readelf -d "$TMP/iotguardd" | grep 'NEEDED.*libsystemd' >/dev/null &&
	"$TMP/iotguardd" --version >/dev/null; then
	ok "iotguardd links without libsystemd (files/compat/systemd)"
else
	not_ok "iotguardd links without libsystemd (files/compat/systemd)"
	echo "$out" | show
fi
tap_end
