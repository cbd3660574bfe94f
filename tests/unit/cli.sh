#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Command-line behaviour of build/iotguard that needs no kernel module:
# help goes to stdout with exit 0, usage errors go to stderr with exit 1.
# Usage errors are caught before any netlink or BPF call, so these cases
# pass on a host without the module (which would give exit 2). Emits TAP.
#
# Usage: tests/unit/cli.sh [PATH-TO-IOTGUARD]

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tap.sh
. "$HERE/../lib/tap.sh"
BIN=${1:-$HERE/../../build/iotguard}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# runs RC STREAM DESC -- ARGS...: runs the tool, checks its exit code and
# that only STREAM (stdout or stderr) has text.
runs() {
	local want_rc=$1 stream=$2 desc=$3 rc=0 out err

	shift 4
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	out=$(wc -c <"$TMP/out")
	err=$(wc -c <"$TMP/err")
	if [ "$rc" != "$want_rc" ]; then
		not_ok "$desc"
		echo "# exit $rc, wanted $want_rc: $(head -c 200 "$TMP/err")"
	elif [ "$stream" = stdout ] && { [ "$out" = 0 ] || [ "$err" != 0 ]; }; then
		not_ok "$desc"
		echo "# stdout $out bytes, stderr $err bytes"
	elif [ "$stream" = stderr ] && { [ "$err" = 0 ] || [ "$out" != 0 ]; }; then
		not_ok "$desc"
		echo "# stdout $out bytes, stderr $err bytes"
	else
		ok "$desc"
	fi
}

# grep_out FILE PATTERN DESC: the last run's FILE (out or err) matches.
grep_out() {
	if grep -q -- "$2" "$TMP/$1"; then
		ok "$3"
	else
		not_ok "$3"
		echo "# no \"$2\" in: $(head -c 200 "$TMP/$1")"
	fi
}

# Every result below, loops included, counted by hand.
tap_plan 121
if [ ! -x "$BIN" ]; then
	not_ok "$BIN is not built (make user)"
	exit 1
fi

runs 0 stdout "--help goes to stdout, exit 0" -- --help
grep_out out "Usage: iotguard" "--help shows the usage"
grep_out out "Exit status" "--help documents the exit codes"
runs 0 stdout "-h goes to stdout, exit 0" -- -h
runs 0 stdout "help command goes to stdout, exit 0" -- help
runs 0 stdout "--version goes to stdout, exit 0" -- --version
grep_out out "^iotguard [0-9]" "--version prints the version"
runs 0 stdout "-V goes to stdout" -- -V
runs 1 stderr "no command: usage on stderr, exit 1" --
runs 1 stderr "unknown command fails with 1" -- frobnicate
grep_out err "unknown command" "unknown command is named"
runs 1 stderr "unknown global option fails with 1" -- --frob status
runs 1 stderr "-j alone is no command" -- -j

for cmd in attach detach status stats unknown; do
	runs 0 stdout "$cmd --help goes to stdout, exit 0" -- $cmd --help
done
for cmd in "device" "device add" "device set" "device del" "device show" \
	   "device list" "device revoke"; do
	runs 0 stdout "$cmd --help goes to stdout, exit 0" -- $cmd --help
done
runs 0 stdout "device -h goes to stdout" -- device -h
runs 1 stderr "device without a command fails with 1" -- device
runs 1 stderr "unknown device command fails with 1" -- device frob

runs 1 stderr "device add without an address" -- device add
grep_out err "missing the device's address" "missing address is named"
runs 1 stderr "device add with a bad address" -- device add 198.18.0.300
grep_out err "invalid address" "bad address is named"
runs 1 stderr "device add with two addresses" -- \
	device add 198.18.0.1 198.18.0.2
runs 1 stderr "device add with an unknown option" -- \
	device add 198.18.0.1 --colour red
runs 1 stderr "device add option without its argument" -- \
	device add 198.18.0.1 --name
grep_out err "needs an argument" "missing option argument is named"
runs 1 stderr "device add with a long name" -- \
	device add 198.18.0.1 --name abcdefghijklmnopqrstuvwxyz0123456
runs 1 stderr "device add with a bad MAC" -- \
	device add 198.18.0.1 --mac 02:00:00:00:00
runs 1 stderr "device add with a bad state" -- \
	device add 198.18.0.1 --state maybe
runs 1 stderr "device add with a bad class" -- \
	device add 198.18.0.1 --class 65536
runs 1 stderr "device add with a negative rate" -- \
	device add 198.18.0.1 --rate -5
runs 1 stderr "device add with a rate over 32 bits" -- \
	device add 2001:2::1 --rate 5G
grep_out err "at most 4294967295" "the rate's limit is named"
runs 1 stderr "device add with a fractional rate" -- \
	device add 2001:2::1 --rate 1.5
runs 1 stderr "device add with junk after a rate" -- \
	device add 2001:2::1 --rate 10pps
runs 1 stderr "device add with a byte rate overflowing 64 bits" -- \
	device add 2001:2::1 --byte-rate 20000000000G
runs 1 stderr "device add with --pin and --unpin" -- \
	device add 2001:2::1 --pin --unpin
runs 1 stderr "device set with nothing to change" -- device set 2001:2::1
runs 1 stderr "device del with options" -- device del 2001:2::1 --pin
runs 1 stderr "device revoke without an address" -- device revoke
runs 1 stderr "device revoke with a bad address" -- device revoke 198.18.0.300
runs 1 stderr "device revoke with options" -- \
	device revoke 2001:2::1 --name x
grep_out err "revoke takes no options" "revoke's options are refused"

# Credentials: set whole, checked before any netlink call.
printf '%s\n' 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	>"$TMP/good.key"
printf '%s\n' 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1 \
	>"$TMP/short.key"
runs 1 stderr "--key without --cred" -- \
	device add 198.18.0.1 --key "$TMP/good.key"
grep_out err "key needs cred auth or seal" "a key without cred is named"
runs 1 stderr "--cred auth without --key" -- device set 198.18.0.1 --cred auth
grep_out err "cred auth needs a key" "a mode without a key is named"
runs 1 stderr "--cred none with --key" -- \
	device set 198.18.0.1 --cred none --key "$TMP/good.key"
grep_out err "cred none takes no key" "cred none with a key is named"
runs 1 stderr "--expires without --key" -- \
	device set 198.18.0.1 --expires +30d
grep_out err "expires needs cred auth or seal and a key" \
	"an expiry without a key is named"
runs 1 stderr "a key file of 63 hex digits" -- \
	device add 198.18.0.1 --cred seal --key "$TMP/short.key"
grep_out err "not 64 hex digits" "the short key is named"
runs 1 stderr "a missing key file" -- \
	device add 198.18.0.1 --cred auth --key "$TMP/none.key"
grep_out err "No such file" "the missing key file is named"
runs 1 stderr "a bad --expires" -- device add 198.18.0.1 --cred auth \
	--key "$TMP/good.key" --expires tomorrow
grep_out err "invalid expiry \`tomorrow'" "the bad expiry is named"
runs 1 stderr "--epoch-seconds under 60" -- device add 198.18.0.1 \
	--cred auth --key "$TMP/good.key" --epoch-seconds 59
runs 1 stderr "a bad --cred" -- device add 198.18.0.1 --cred maybe
runs 1 stderr "device add --mac with a half credential" -- \
	device add --mac 02:00:00:00:01:0b --cred auth
rc=0
"$BIN" device add 198.18.0.1 --key - <"$TMP/short.key" \
	>"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" = 1 ] && grep -q "invalid key file \`-': not 64" "$TMP/err"; then
	ok "--key - reads standard input"
else
	not_ok "--key - reads standard input"
	echo "# exit $rc: $(head -c 200 "$TMP/err")"
fi
printf '198.18.1.1 cred auth key %s\n198.18.1.2 cred auth key good.key\n' \
	"$TMP/good.key" >"$TMP/cred.conf"
runs 1 stderr "apply of a relative key path fails with 1" -- \
	apply "$TMP/cred.conf"
grep_out err "cred.conf:2: key file \`good.key' is not an absolute path" \
	"the relative key path's line is named"
runs 1 stderr "device show without an address" -- device show
runs 1 stderr "device list with an argument" -- device list extra
runs 1 stderr "stats with a bad address" -- stats 198.18.0.999
runs 1 stderr "stats with two addresses" -- stats 198.18.0.1 198.18.0.2
runs 1 stderr "unknown with an argument" -- unknown 198.18.0.1
runs 1 stderr "attach without an interface" -- attach
runs 1 stderr "attach with a bad mode" -- attach lo --mode turbo
runs 1 stderr "attach with two interfaces" -- attach a b
runs 1 stderr "detach without an interface" -- detach
runs 1 stderr "status with an argument" -- status now
# Nothing loaded here, so nothing is guarded: said, and exit 4.
runs 4 stdout "status without the module exits 4" -- status
grep_out out "module: not loaded" "status says the module is not loaded"

# apply, export, device import: usage and parse errors change nothing and
# come before any netlink call.
for cmd in "apply" "export" "device import"; do
	runs 0 stdout "$cmd --help goes to stdout, exit 0" -- $cmd --help
done
grep_out out "identity or address, mac" "import --help names the columns"
runs 1 stderr "apply without a file" -- apply
runs 1 stderr "apply with two files" -- apply a b
runs 1 stderr "apply with an unknown option" -- apply a --frob
runs 1 stderr "apply does not take --replace" -- apply a --replace
runs 1 stderr "apply of a missing file" -- apply "$TMP/none.conf"
runs 1 stderr "export with two files" -- export a b
runs 1 stderr "export with an unknown option" -- export --frob
runs 1 stderr "device import without a file" -- device import
runs 1 stderr "device import of a missing file" -- \
	device import "$TMP/none.csv"
printf '%s\n' '# two bad lines' '198.18.1.1 name a' \
	'198.18.1.2 rate fast' "198.18.1.3 \\" '  colour red' \
	'198.18.1.1 name again' >"$TMP/bad.conf"
runs 1 stderr "apply of a bad file fails with 1" -- apply "$TMP/bad.conf"
grep_out err "bad.conf:3: invalid rate \`fast'" "the bad rate's line is named"
grep_out err "bad.conf:4: unknown option \`colour'" \
	"a continued line is named by its first line"
grep_out err "bad.conf:6: device 198.18.1.1 declared twice" \
	"a device twice is named"
grep_out err "3 errors in .*nothing changed" "nothing changed, it says"
runs 1 stderr "apply --dry-run of a bad file fails with 1 too" -- \
	apply --dry-run "$TMP/bad.conf"
mkdir "$TMP/conf.d"
printf '198.18.1.1\n' >"$TMP/conf.d/10-a.conf"
printf '198.18.1.1 frob\n' >"$TMP/conf.d/20-b.conf"
runs 1 stderr "apply of a directory with a bad file fails with 1" -- \
	apply "$TMP/conf.d"
grep_out err "20-b.conf:1: unknown option" "the directory's file is named"
printf 'address,colour\n198.18.1.1,red\n' >"$TMP/bad.csv"
runs 1 stderr "device import of a bad CSV fails with 1" -- \
	device import "$TMP/bad.csv"
grep_out err "bad.csv:1: unknown column \`colour'" "the unknown column is named"
# The example parses: without the module, exit 2 at netlink, not 1; with
# it, --dry-run changes nothing.
rc=0
"$BIN" apply --dry-run "$HERE/../../etc/devices.conf.example" \
	>"$TMP/out" 2>"$TMP/err" || rc=$?
if [ "$rc" != 1 ] && ! grep -q "example:[0-9]" "$TMP/err"; then
	ok "etc/devices.conf.example parses"
else
	not_ok "etc/devices.conf.example parses"
	echo "# exit $rc: $(head -c 300 "$TMP/err")"
fi
runs 0 stdout "device --help shows import" -- device --help
grep_out out "3 the device is enrolled already" "device --help documents 3"

# device list's filters and device release: usage errors, help.
runs 1 stderr "device list --by someone" -- device list --by someone
runs 1 stderr "device list --state bad" -- device list --state bad
runs 1 stderr "device release without a device" -- device release
runs 1 stderr "device release --all-by-daemon with a device" \
	-- device release --all-by-daemon 198.18.1.1
runs 1 stderr "device release of a bad address" -- device release nonsense
runs 0 stdout "device release --help" -- device release --help

# device enroll's options (an unknown one crashed it: tests/fuzz/args_fuzz.c).
runs 1 stderr "device enroll --bogus" -- device enroll 198.18.1.1 --bogus
grep_out err "unknown option \`--bogus'" "device enroll names the option"
runs 1 stderr "device enroll --ttl without a value" -- \
	device enroll 198.18.1.1 --ttl
runs 1 stderr "device enroll --ttl 8d" -- device enroll 198.18.1.1 --ttl 8d

tap_end
