#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The device credential protocol's test vectors (Documentation/
# protocol.rst) and iotguard-device: the library's vectors recomputed by
# an independent reading of the protocol (tests/lib/wire_ref.py), the
# document's vectors the library's, and datagrams sent over loopback
# opened by the reference with the epoch key. On the host. Prints TAP.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/tap.sh
. "$repo/tests/lib/tap.sh"
tool=$repo/build/iotguard-device
ref=$repo/tests/lib/wire_ref.py
# The reference needs the cryptography package: Debian's python3 has it
# (python3-cryptography, scripts/setup-deps.sh), a python3 first on PATH
# may not.
python3() {
	if command python3 -c 'import cryptography' 2>/dev/null; then
		command python3 "$@"
	else
		/usr/bin/python3 "$@"
	fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_plan 15

"$tool" vectors >"$tmp/vectors"
check "iotguard-device vectors: the reference recomputes each of them" \
	python3 "$ref" check "$tmp/vectors"
# The document's block, unindented, against the tool's output; trailing
# blanks aside.
awk '/^\.\. code-block:: none$/ { inblock = 1; next }
     inblock && /^[^ ]/ { exit }
     inblock { sub(/^    /, ""); sub(/[[:space:]]+$/, ""); print }' \
	"$repo/Documentation/protocol.rst" | sed -e '1{/^$/d}' -e '${/^$/d}' \
	>"$tmp/doc"
sed 's/[[:space:]]*$//' "$tmp/vectors" >"$tmp/tool"
check "protocol.rst's vectors are the library's" cmp "$tmp/doc" "$tmp/tool"

# A device on loopback: datagrams to a listener, opened by the reference.
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
echo "$key" >"$tmp/key"
python3 - "$tmp/port" "$tmp/got" <<-'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
with open(sys.argv[2], "w") as out:
    for _ in range(3):
        data, peer = s.recvfrom(65536)
        out.write("%s %d %s\n" % (peer[0], peer[1], data.hex()))
PY
listener=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port" 2>/dev/null || echo 9)
next=$("$tool" send --key "$tmp/key" --mode seal --epoch 3 --counter 10 \
	--count 2 --sport 40123 127.0.0.1 "$port" "lamp-7 on" 2>"$tmp/err")
same "send: prints the next counter" 12 "$next"
"$tool" send --key "$tmp/key" --epoch 3 --counter 12 --sport 40124 \
	127.0.0.1 "$port" "hello" >/dev/null 2>>"$tmp/err"
wait "$listener"
epoch_key=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import wire_ref
print(wire_ref.epoch_key(bytes.fromhex(sys.argv[2]), 3).hex())' \
	"$repo/tests/lib" "$key")
# open_line N MODE: the Nth datagram received, opened: its body in hex.
open_line() {
	local peer sport payload

	read -r peer sport payload < <(sed -n "${1}p" "$tmp/got")
	python3 "$ref" open "$epoch_key" "$2" 4 7f000001 7f000001 \
		"${sport:-0}" "$port" "${payload:-00}" 2>/dev/null
}
same "a sealed datagram opens to its body" \
	"$(printf 'lamp-7 on' | od -An -tx1 | tr -d ' \n')" "$(open_line 1 seal)"
check "... and is not the body on the wire" \
	test -z "$(sed -n 1p "$tmp/got" | grep "$(printf 'lamp-7 on' | od -An -tx1 | tr -d ' \n')")"
same "an authenticated one carries its body in the clear" \
	"$(printf hello | od -An -tx1 | tr -d ' \n')" "$(open_line 3 auth)"
# The same datagram claimed from another port: the tag covers the ports.
read -r _ sport payload < <(sed -n 3p "$tmp/got")
check "... and does not verify from another source port" \
	eval "! python3 '$ref' open '$epoch_key' auth 4 7f000001 7f000001 \
		$((sport + 1)) '$port' '$payload' 2>/dev/null"

# Enrollment against the reference's router on loopback: a code works
# once; the same code from another device (its own nonce), or a
# mistyped one, gets no welcome.
code=IGE1-0a0b0c0d-000102030405060708090a0b0c0d0e0f
bad=IGE1-0a0b0c0d-000102030405060708090a0b0c0d0eff
root=404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
rm -f "$tmp/port"
# The tool sends a hello up to 5 times: 1 welcome, then 5 and 5 refused.
python3 "$ref" serve "$code" "$root" "$tmp/port" 11 >"$tmp/router" 2>&1 &
router=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
export IOTGUARD_ENROLL_PORT
IOTGUARD_ENROLL_PORT=$(cat "$tmp/port" 2>/dev/null || echo 9)
rc=0
"$tool" enroll --code "$code" --out "$tmp/k1" 127.0.0.1 >"$tmp/enroll1" \
	2>&1 || rc=$?
check "enroll: the code gets the root key, written 0600" \
	eval "[ $rc = 0 ] && [ \"\$(cat '$tmp/k1')\" = $root ] && \
	      [ \"\$(stat -c %a '$tmp/k1')\" = 600 ]"
check "... with the router's mode and epoch length" \
	grep -qz "mode seal.*epoch_seconds 3600" "$tmp/enroll1"
rc=0
"$tool" enroll --code "$code" --out "$tmp/k2" 127.0.0.1 >/dev/null \
	2>"$tmp/enroll2" || rc=$?
check "the same code again, from another device: refused, no key" \
	eval "[ $rc = 1 ] && [ ! -e '$tmp/k2' ] && \
	      grep -q 'Unable to enroll' '$tmp/enroll2'"
rc=0
"$tool" enroll --code "$bad" --out "$tmp/k3" 127.0.0.1 >/dev/null 2>&1 ||
	rc=$?
wait "$router" || true
same "a mistyped code: refused; the router saw what the test did" \
	"1 welcome$(printf ' code used%.0s' 1 2 3 4 5)$(printf ' bad hello%.0s' 1 2 3 4 5)" \
	"$rc $(tr '\n' ' ' <"$tmp/router" | sed 's/ $//')"
rc=0
"$tool" enroll --code IGE1-0a0b --out "$tmp/k4" 127.0.0.1 >/dev/null \
	2>"$tmp/err" || rc=$?
check "a code that is no code: exit 1, and says so" \
	eval "[ $rc = 1 ] && grep -q 'Unable to read the code' '$tmp/err'"

out=$("$tool" --help 2>/dev/null)
check "--help: usage on stdout" grep -q "^Usage: iotguard-device send" <<<"$out"
rc=0
"$tool" send 127.0.0.1 9 x >/dev/null 2>&1 || rc=$?
same "send without --key: a usage error, exit 1" 1 "$rc"
echo 0123 >"$tmp/short"
rc=0
"$tool" send --key "$tmp/short" 127.0.0.1 9 x >/dev/null 2>"$tmp/err" || rc=$?
check "a key that is not 64 hex digits: exit 1, and says so" \
	eval "[ $rc = 1 ] && grep -q 'Unable to read the key in' '$tmp/err'"
tap_end
