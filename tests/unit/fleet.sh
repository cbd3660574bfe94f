#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet on the host (Documentation/fleet.rst): a real 3-node NATS
# JetStream cluster on loopback, TLS on every connection with
# certificates made here, each client certificate mapped to a user and
# its permissions; the city's buckets with 3 replicas; three routers' agents
# (build/iotguard-sync run) that record what they would apply instead of
# calling the module. Judged by what the agents applied and logged and
# what the servers refused, never by the clock: the waits are a net
# against hangs only. Emits TAP.
#
# Operators log in at the gate (build/iotguard-gate run) with a password
# and a TOTP code that oathtool computes from the secret the gate made.
#
# Usage: tests/unit/fleet.sh [PATH-TO-IOTGUARD-SYNC [PATH-TO-IOTGUARD-CITY
#	[PATH-TO-IOTGUARD-GATE]]]
#
# FLEET_KEEP=1 keeps the directory of certificates, logs and records.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tap.sh
. "$HERE/../lib/tap.sh"
# shellcheck source=../lib/nats.sh
. "$HERE/../lib/nats.sh"
BIN=${1:-$HERE/../../build/iotguard-sync}
CITY=${2:-$(dirname "$BIN")/iotguard-city}
GATE=${3:-$(dirname "$BIN")/iotguard-gate}
TMP=$(mktemp -d)
AGENTS=()
GATE_PID=
declare -A mark

cleanup() {
	set +e
	local pid

	for pid in "${AGENTS[@]}" $GATE_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	nats_stop "$TMP" 3
	if [ -n "${FLEET_KEEP:-}" ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

tap_plan 66

if [ ! -x "$BIN" ] || [ ! -x "$CITY" ] || [ ! -x "$GATE" ]; then
	not_ok "$BIN, $CITY or $GATE is not built (make sync)"
	exit 1
fi
if ! command -v nats-server >/dev/null || ! command -v oathtool >/dev/null; then
	not_ok "nats-server or oathtool is not installed (scripts/setup-dev.sh)"
	exit 1
fi

rc=0
"$BIN" --help >"$TMP/out" 2>"$TMP/err" || rc=$?
check "--help goes to stdout, exit 0" \
	test "$rc" = 0 -a -s "$TMP/out" -a ! -s "$TMP/err"
rc=0
"$BIN" run --router a >"$TMP/out" 2>"$TMP/err" || rc=$?
check "run without --server: usage error on stderr, exit 1" \
	test "$rc" = 1 -a ! -s "$TMP/out" -a -s "$TMP/err"
# A CA that does not load never will: the agent says so and exits, rather
# than wait for servers as it does when they are away.
rc=0
"$BIN" run --router a --server tls://127.0.0.1:1 --ca "$TMP/none.pem" \
	--cert "$TMP/none.pem" --key "$TMP/none.key" >"$TMP/out" 2>"$TMP/err" ||
	rc=$?
check "run with a CA that does not load: exit 2 at once, saying so" \
	eval '[ $rc = 2 ] && grep -q "^Unable to set up the connection: .*none.pem" "$TMP/err"'

# ---------------------------------------------------------------- the city
C=$TMP/certs
nats_certs "$TMP" operator router-a router-b router-c router-z gate \
	console-tab1 console-tab2
# A stranger's CA, and a certificate for router-a that it signed.
mkdir -p "$TMP/rogue"
nats_ca "$TMP/rogue" ca
nats_cert "$TMP/rogue" router-a ca
NATS_CONSOLES="tab1 tab2" nats_cluster_config "$TMP" 3 iotguard-city a b c
nats_start "$TMP" 3
check "a 3-node cluster with TLS forms on loopback" \
	tap_wait 240 0.25 nats_ready "$TMP" 3

S=$(nats_urls 3)
op=(--server "$S" --cert "$C/operator.pem" --key "$C/operator.key"
	--ca "$C/ca.pem")
# as NAME: the options of router NAME's own certificate.
as() {
	echo --server "$S" --cert "$C/router-$1.pem" --key "$C/router-$1.key" \
		--ca "$C/ca.pem" --router "$1"
}
# shellcheck disable=SC2207
ra=($(as a))

# The first JetStream requests may come before the stream's placement
# is settled: retried, as a city's operator would.
create() { "$BIN" create "${op[@]}" --replicas 3 a b c 2>>"$TMP/create.err"; }
check "the operator creates the city's buckets, 3 replicas" \
	tap_wait 40 0.5 create
# Again, as for a city made before a kind of bucket was added: what is
# there stays, what is missing is made.
"$BIN" put "${op[@]}" city.deny.198-18-0-99 '{"id":"198.18.0.99"}' >/dev/null
rc=0
"$BIN" create "${op[@]}" --replicas 3 a b c 2>>"$TMP/create.err" || rc=$?
rc_history=0
"$BIN" create "${op[@]}" --replicas 3 --history 5 a b c \
	2>>"$TMP/create.err" || rc_history=$?
"$BIN" history "${op[@]}" city.deny.198-18-0-99 >"$TMP/kept" 2>&1 || true
"$BIN" del "${op[@]}" city.deny.198-18-0-99
check "create again, same options: the buckets and their keys stay; others refused" \
	eval '[ $rc = 0 ] && [ $rc_history = 2 ] && grep -q "198.18.0.99" "$TMP/kept"'

put() { "$BIN" put "${op[@]}" "$@" >/dev/null; }

# Router c's operator pinned 198.18.0.30 to deny on the router itself.
echo "add 198.18.0.30 name=local state=deny flags=1" >"$TMP/rec-c"
# agent R: starts router R's agent, its log appended to.
agent() {
	# shellcheck disable=SC2046
	"$BIN" run $(as "$1") --record "$TMP/rec-$1" --state "$TMP/state-$1" \
		2>>"$TMP/agent-$1.log" &
}
for r in a b c; do
	agent $r
	AGENTS+=($!)
done

# in_step R [LINE]: agent R has had every key's newest value on both
# of its watchers (since its log's line LINE).
in_step() {
	local n

	# The log appears when the agent's shell has opened it.
	n=$(tail -n +"${2:-1}" "$TMP/agent-$1.log" 2>/dev/null |
		grep -o "in step with [a-z]*\." | sort -u | wc -l)
	[ "${n:-0}" -ge 2 ]
}
all_in_step() { in_step a && in_step b && in_step c; }
check "three routers' agents are in step with the city" \
	tap_wait 240 0.25 all_in_step

# has R PATTERN: router R's record has a line matching PATTERN.
has() { grep -qE -- "$2" "$TMP/rec-$1"; }

"$CITY" enroll "${op[@]}" --router a --name lamp-10 --state allow \
	--class light --rate-pps 50 --by operator:alice 198.18.0.10 >/dev/null
put street.a.dev.198-18-0-12 \
	'{"id":"198.18.0.12","name":"meter-12","state":"allow","by":"operator:alice"}'
check "an enrollment for street a reaches router a, with who made it" \
	tap_wait 120 0.25 has a \
	"^add 198\.18\.0\.10 name=lamp-10 state=allow class=1 rate_pps=50 .*key=street\.a\.dev\.198-18-0-10 rev=[0-9]+ by=operator:alice$"

# A device on street b too, then a city-wide deny: once b and c have
# applied the deny, which came later, street a's device is still not
# theirs.
put street.b.dev.198-18-0-20 '{"id":"198.18.0.20","state":"allow","by":"operator:alice"}'
put city.deny.198-18-0-66 '{"id":"198.18.0.66","by":"operator:alice","reason":"stolen"}'
denied() { has "$1" "^add 198\.18\.0\.66 name=city-deny state=deny "; }
all_denied() { denied a && denied b && denied c; }
tap_wait 120 0.25 all_denied || true
check "the enrollments for street a reach neither b nor c" \
	test -z "$(grep -h "198.18.0.1[02]" "$TMP/rec-b" "$TMP/rec-c")"
check "a city-wide deny reaches all three tables" all_denied

# A device carried from street a to street b: enrolled on both, revoked
# city-wide.
put street.b.dev.198-18-0-10 '{"id":"198.18.0.10","state":"allow","by":"operator:alice"}'
tap_wait 120 0.25 has b "^add 198\.18\.0\.10 " || true
"$CITY" revoke "${op[@]}" --by operator:bob --reason "key stolen" \
	198.18.0.10 >"$TMP/revoke.out"
rev10=$(sed -n 's/^city\.revoke\.198-18-0-10 rev \([0-9]*\)$/\1/p' "$TMP/revoke.out")
revoked() {
	has "$1" "^set 198\.18\.0\.10 .*state=deny .*key=city\.revoke\.198-18-0-10 .*by=operator:bob$" &&
		has "$1" "^revoke 198\.18\.0\.10 key=city\.revoke\.198-18-0-10 "
}
c_saw_revoke() { grep -q "city.revoke.198-18-0-10 rev [0-9]*: applied" "$TMP/agent-c.log"; }
both_revoked() { revoked a && revoked b && c_saw_revoke; }
check "a city-wide revocation denies and revokes on a and b, reaches c" \
	tap_wait 120 0.25 both_revoked
# Each agent reports how far it came: the operator sees who has it.
applied() {
	"$CITY" applied "${op[@]}" city.revoke.198-18-0-10 "${rev10:-0}" \
		>"$TMP/applied" 2>&1
}
check "the agents report it: 3 of 3 routers have applied it" \
	eval 'tap_wait 120 0.25 applied &&
	grep -q "^3 of 3 routers have city.revoke.198-18-0-10 rev $rev10$" "$TMP/applied"'
rc=0
"$CITY" applied "${op[@]}" city.revoke.198-18-0-10 $((rev10 + 1000)) \
	>"$TMP/applied" 2>&1 || rc=$?
check "... and none has a revision not made yet (exit 4)" \
	eval '[ $rc = 4 ] && grep -q "^0 of 3 routers" "$TMP/applied" &&
	[ "$(grep -c " behind (took $rev10)$" "$TMP/applied")" = 3 ]'

put street.c.dev.198-18-0-30 '{"id":"198.18.0.30","state":"allow","by":"operator:alice"}'
kept() { grep -q "198-18-0-30: pinned locally, kept" "$TMP/agent-c.log"; }
tap_wait 120 0.25 kept || true
check "the store does not relax a device pinned on the router" \
	test -z "$(grep "^set 198.18.0.30\|^del 198.18.0.30" "$TMP/rec-c")" -a \
	"$(grep -c "pinned locally, kept" "$TMP/agent-c.log")" -ge 1

# ------------------------------------------------------ operators, gated
# Operators as the gate's host keeps them; each one's TOTP secret as the
# authenticator app would scan it.
declare -A secret
OPS=$TMP/operators
PW="correct horse battery staple"
for o in alice bob carol dave; do
	secret[$o]=$(echo "$PW" | "$GATE" adduser --operators "$OPS" $o |
		sed -n 's/^secret //p')
done
check "adduser: four operators, each with a TOTP secret" \
	test "$(grep -c " active \$y\\$" "$OPS")" = 4 -a -n "${secret[dave]}"
# code NAME [OFFSET]: NAME's code now, or OFFSET seconds from now.
code() {
	oathtool --totp -b -N "@$(($(date +%s) + ${2:-0}))" "${secret[$1]}"
}
"$GATE" run --server "$S" --cert "$C/gate.pem" --key "$C/gate.key" \
	--ca "$C/ca.pem" --operators "$OPS" --quarantine-citywide camera \
	--quarantine-detectors scan,spoof 2>>"$TMP/gate.log" &
GATE_PID=$!
serving() { grep -q "serving iotguard-city.gate" "$TMP/gate.log" 2>/dev/null; }
tap_wait 120 0.25 serving || true
con2=(--server "$S" --cert "$C/console-tab2.pem" --key "$C/console-tab2.key"
	--ca "$C/ca.pem")
# login NAME PASSWORD CODE [OPTIONS]: NAME logs in on console $CONSOLE
# (tab1 unless set), the session in TMP/NAME.session; the exit status is
# login's, its error in TMP/login.err.
login() {
	local name=$1 pw=$2 c=$3 console=${CONSOLE:-tab1}

	shift 3
	printf '%s\n%s\n' "$pw" "$c" | "$CITY" login --server "$S" \
		--cert "$C/console-$console.pem" \
		--key "$C/console-$console.key" --ca "$C/ca.pem" \
		--console "$console" --session "$TMP/$name.session" "$@" \
		"$name" >"$TMP/login.out" 2>"$TMP/login.err"
}
gate_said() { grep -qF -- "$1" "$TMP/gate.log"; }
alice_code=$(code alice)
check "alice logs in with her password and a TOTP code" \
	login alice "$PW" "$alice_code"
check "... her session is hers alone (0600) and ends within the gate's 8 h" \
	eval '[ "$(stat -c %a "$TMP/alice.session")" = 600 ] &&
	exp=$(sed -n "s/.*\"expires\":\([0-9]*\).*/\1/p" "$TMP/alice.session") &&
	[ "$exp" -gt "$(date +%s)" ] && [ "$exp" -le $(($(date +%s) + 28800)) ]'
rc=0
login alice "$PW" "$alice_code" || rc=$?
check "the same code again is refused: a replay" \
	eval '[ $rc = 2 ] && gate_said "login refused for alice: a code used before (replayed)"'
rc=0
login bob "$PW" "$(code bob -300)" || rc=$?
check "a code of five minutes ago is refused" \
	eval '[ $rc = 2 ] && gate_said "login refused for bob: wrong code"'
rc=0
login bob "not the password" "$(code bob)" || rc=$?
check "a wrong password with a good code is refused" \
	eval '[ $rc = 2 ] && gate_said "login refused for bob: wrong password"'
check "bob logs in for a session of 1 s" \
	login bob "$PW" "$(code bob)" --lifetime 1
bob_expires=$(sed -n 's/.*"expires":\([0-9]*\).*/\1/p' "$TMP/bob.session")

# A change through the gate: the gate writes who made it, whatever the
# console says.
ses=(--server "$S" --cert "$C/console-tab1.pem" --key "$C/console-tab1.key"
	--ca "$C/ca.pem")
"$CITY" enroll "${ses[@]}" --session "$TMP/alice.session" --router a \
	--name lamp-14 --state allow 198.18.0.14 >/dev/null
check "alice's enrollment through the gate reaches router a, by operator:alice" \
	tap_wait 120 0.25 has a \
	"^add 198\.18\.0\.14 name=lamp-14 state=allow .*key=street\.a\.dev\.198-18-0-14 rev=[0-9]+ by=operator:alice$"
rc=0
"$CITY" deny "${ses[@]}" --session "$TMP/alice.session" --by operator:mallory \
	198.18.0.15 2>/dev/null || rc=$?
check "--by with a session is a usage error: the gate says who" test $rc = 1
"$CITY" history "${ses[@]}" --session "$TMP/alice.session" --router a \
	198.18.0.14 >"$TMP/gate-history" 2>&1 || true
check "the history through the gate shows the operator" \
	grep -q '^street\.a\.dev\.198-18-0-14 rev [0-9]* put .*"by":"operator:alice"' \
	"$TMP/gate-history"

# What a street holds and what the city's lists hold, each key's newest
# value: straight from the buckets, and through the gate the same.
"$CITY" list "${op[@]}" --router a >"$TMP/list-a" 2>&1 || true
"$CITY" list "${op[@]}" deny >"$TMP/list-deny" 2>&1 || true
check "list: street a's devices, not street b's; the city's denies" \
	eval 'grep -q "^street\.a\.dev\.198-18-0-10 rev [0-9]* {.*lamp-10" "$TMP/list-a" &&
	grep -q "^street\.a\.dev\.198-18-0-14 rev [0-9]* {.*operator:alice" "$TMP/list-a" &&
	! grep -q "198-18-0-20" "$TMP/list-a" &&
	grep -q "^city\.deny\.198-18-0-66 rev [0-9]* {.*stolen" "$TMP/list-deny"'
"$CITY" list "${ses[@]}" --session "$TMP/alice.session" --router a \
	>"$TMP/gate-list-a" 2>&1 || true
check "... through the gate, alice lists street a the same" \
	eval '[ -s "$TMP/list-a" ] && cmp -s "$TMP/list-a" "$TMP/gate-list-a"'
rc=0
"$CITY" list "${op[@]}" --router a deny >/dev/null 2>&1 || rc=$?
check "... a street and a list at once is a usage error" test $rc = 1
# Which routers have a revision, asked at the gate: as the bucket says.
"$CITY" applied "${op[@]}" city.revoke.198-18-0-10 "${rev10:-0}" \
	>"$TMP/applied-direct" 2>&1 || true
rc=0
"$CITY" applied "${ses[@]}" --session "$TMP/alice.session" \
	city.revoke.198-18-0-10 "${rev10:-0}" >"$TMP/applied-gate" 2>&1 || rc=$?
check "applied through the gate: 3 of 3, as the bucket says" \
	eval '[ $rc = 0 ] && cmp -s "$TMP/applied-direct" "$TMP/applied-gate" &&
	grep -q "^3 of 3 routers have city.revoke.198-18-0-10 rev $rev10$" "$TMP/applied-gate"'

# The city-wide quarantine policy, for cameras that scan or spoof: router
# a quarantines a light and two cameras on its own (its reports), one of
# them for a surge; the scanning camera alone is held back on every
# router, and alice releases it.
"$BIN" report "${ra[@]}" --class light --detector scan 198.18.0.41 \
	quarantine "scan: syn" 2>>"$TMP/report.err"
"$BIN" report "${ra[@]}" --class camera --detector surge 198.18.0.32 \
	quarantine "surge: packets" 2>>"$TMP/report.err"
"$BIN" report "${ra[@]}" --class camera --detector scan 198.18.0.31 \
	quarantine "scan: syn" 2>>"$TMP/report.err"
held() {
	has "$1" "^add 198\.18\.0\.31 name=city-quarantine state=quarantine .*key=city\.quarantine\.198-18-0-31 rev=[0-9]+ by=gate:policy$"
}
all_held() { held a && held b && held c; }
check "a camera quarantined on router a is held back on every router" \
	eval 'tap_wait 120 0.25 all_held &&
	gate_said "policy: 198.18.0.31 quarantined on router a: city-wide now"'
check "... a light, whose class the policy does not name, is not" \
	test -z "$(grep -h "198\.18\.0\.41" "$TMP/rec-a" "$TMP/rec-b" "$TMP/rec-c")"
check "... nor a camera quarantined for a surge, a detector it does not name" \
	test -z "$(grep -h "198\.18\.0\.32" "$TMP/rec-a" "$TMP/rec-b" "$TMP/rec-c")"
"$CITY" release "${ses[@]}" --session "$TMP/alice.session" 198.18.0.31 \
	>"$TMP/release.out"
# A delete says who made it: the gate writes it in the marker's body.
released() {
	has "$1" "^del 198\.18\.0\.31 key=city\.quarantine\.198-18-0-31 rev=[0-9]+ by=operator:alice$"
}
all_released() { released a && released b && released c; }
check "alice releases it through the gate: gone from every table, by her" \
	eval 'tap_wait 120 0.25 all_released &&
	gate_said "alice: del city.quarantine.198-18-0-31" &&
	grep -q "^city\.quarantine\.198-18-0-31 rev [0-9]*$" "$TMP/release.out"'
"$CITY" history "${ses[@]}" --session "$TMP/alice.session" 198.18.0.31 \
	>"$TMP/release-history" 2>&1 || true
check "... and the history through the gate says who deleted it" \
	grep -q '^city\.quarantine\.198-18-0-31 rev [0-9]* del {"by":"operator:alice"}$' \
	"$TMP/release-history"
# The administrator lifts a deny directly, saying who.
"$CITY" allow "${op[@]}" --by operator:bob 198.18.0.66 >"$TMP/allow.out"
lifted() {
	has "$1" "^del 198\.18\.0\.66 key=city\.deny\.198-18-0-66 rev=[0-9]+ by=operator:bob$"
}
all_lifted() { lifted a && lifted b && lifted c; }
check "a deny lifted directly: gone from every table, by operator:bob" \
	eval 'tap_wait 120 0.25 all_lifted &&
	grep -q "^city\.deny\.198-18-0-66 rev [0-9]*$" "$TMP/allow.out"'

# carol logs out: her session, kept, is worth nothing.
login carol "$PW" "$(code carol)" || true
cp "$TMP/carol.session" "$TMP/carol.kept"
"$CITY" logout "${ses[@]}" --session "$TMP/carol.session" || true
rc=0
"$CITY" deny "${ses[@]}" --session "$TMP/carol.kept" 198.18.0.16 \
	2>"$TMP/carol.err" >/dev/null || rc=$?
check "after logout, the session's next change is refused" \
	eval '[ $rc = 2 ] && [ ! -e "$TMP/carol.session" ] &&
	grep -q "no such session, or it expired" "$TMP/carol.err"'

# A lost tablet: alice is revoked on the gate's host.
"$GATE" revoke --operators "$OPS" alice
rc=0
"$CITY" enroll "${ses[@]}" --session "$TMP/alice.session" --router a \
	--name lamp-15 198.18.0.15 2>"$TMP/alice.err" >/dev/null || rc=$?
check "a revoked operator's next change is refused" \
	eval '[ $rc = 2 ] && grep -q "operator revoked" "$TMP/alice.err"'
rc=0
login alice "$PW" "$(code alice 30)" || rc=$?
check "... and her next login, with a good code" \
	eval '[ $rc = 2 ] && gate_said "login refused for alice: revoked"'

# Five wrong passwords lock dave's name: the sixth try, right, fails.
for i in 1 2 3 4 5; do
	login dave "guess $i" "$(code dave)" || true
done
rc=0
login dave "$PW" "$(code dave)" || rc=$?
check "five failed logins lock the name: the right password is refused" \
	eval '[ $rc = 2 ] && gate_said "dave: locked for 300 s after 5 failed logins" &&
	gate_said "login refused for dave: locked"'

# bob's session of 1 s, once the clock is past it.
while [ "$(date +%s)" -le "$bob_expires" ]; do
	sleep 0.2
done
rc=0
"$CITY" deny "${ses[@]}" --session "$TMP/bob.session" 198.18.0.16 \
	2>"$TMP/bob.err" >/dev/null || rc=$?
check "an expired session's change is refused" \
	eval '[ $rc = 2 ] && grep -q "no such session, or it expired" "$TMP/bob.err"'
check "nothing the refused sessions asked reached a router" \
	test -z "$(grep -h "198\.18\.0\.1[56]" "$TMP/rec-a" "$TMP/rec-b" "$TMP/rec-c")"

# The lost tablet's certificate: its user is taken out of the servers'
# accounts, and each node reloads its configuration (SIGHUP).
NATS_CONSOLES=tab2 nats_cluster_config "$TMP" 3 iotguard-city a b c
for n in 1 2 3; do
	kill -HUP "$(cat "$TMP/n$n.pid")"
done
reloaded() {
	local n

	for n in 1 2 3; do
		grep -q "Reloaded server configuration" "$TMP/n$n.log" || return 1
	done
}
tap_wait 120 0.25 reloaded || true
rc=0
login bob "$PW" "$(code bob 30)" || rc=$?
check "a lost console's certificate, out of the servers' users, is refused" \
	eval '[ $rc = 2 ] && grep -q "Authorization Violation" "$TMP/login.err" &&
	! gate_said "login refused for bob: a code used before"'
rc=0
bob_code=$(code bob 30)
CONSOLE=tab2 login bob "$PW" "$bob_code" || rc=$?
check "... another console logs in as before" test $rc = 0
cp "$TMP/bob.session" "$TMP/bob.kept"

# A second gate, on a host of its own (its own copy of the operators
# file), and the first one stopped: the sessions, the codes taken and the
# lockouts are the city's (the gate bucket), not one gate's.
cp "$OPS" "$TMP/operators2"
"$GATE" run --server "$S" --cert "$C/gate.pem" --key "$C/gate.key" \
	--ca "$C/ca.pem" --operators "$TMP/operators2" 2>>"$TMP/gate2.log" &
GATE_PID+=" $!"
serving2() { grep -q "serving iotguard-city.gate" "$TMP/gate2.log" 2>/dev/null; }
tap_wait 120 0.25 serving2 || true
first=${GATE_PID%% *}
kill "$first"
wait "$first" || true
GATE_PID=${GATE_PID#* }
rc=0
"$CITY" deny "${con2[@]}" --session "$TMP/bob.kept" 198.18.0.17 \
	>/dev/null 2>"$TMP/gate2-deny.err" || rc=$?
check "a session the first gate gave works at the second, the first stopped" \
	eval '[ $rc = 0 ] && grep -q "bob: put city.deny.198-18-0-17 rev" "$TMP/gate2.log"'
rc=0
CONSOLE=tab2 login bob "$PW" "$bob_code" || rc=$?
check "... and the code the first gate took is a replay at the second" \
	eval '[ $rc = 2 ] && grep -q "login refused for bob: a code used before (replayed)" "$TMP/gate2.log"'
rc=0
CONSOLE=tab2 login dave "$PW" "$(code dave)" || rc=$?
check "... and dave, locked at the first, is locked at the second" \
	eval '[ $rc = 2 ] && grep -q "login refused for dave: locked" "$TMP/gate2.log"'
# bob's tablet is lost: revoked on the first gate's host, for the city
# (the operators bucket); the second gate's file still has him active.
"$GATE" revoke --operators "$OPS" --server "$S" --cert "$C/gate.pem" \
	--key "$C/gate.key" --ca "$C/ca.pem" bob
rc=0
"$CITY" deny "${con2[@]}" --session "$TMP/bob.kept" 198.18.0.18 \
	>/dev/null 2>"$TMP/bob2.err" || rc=$?
check "bob revoked for the city: the second gate refuses his session" \
	eval '[ $rc = 2 ] && grep -q "operator revoked" "$TMP/bob2.err" &&
	grep -q "^bob active " "$TMP/operators2" &&
	grep -q "^bob revoked " "$OPS"'

# ------------------------------------------------------- what is refused
# Each refusal costs the client its request's timeout: all at once.
REFUSED=()
# refused NAME PROGRAM ARGS...: runs it in the background; its exit
# status in TMP/NAME.rc, its output in TMP/NAME.out and .err.
refused() {
	local name=$1

	shift
	{
		rc=0
		"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
		echo "$rc" >"$TMP/$name.rc"
	} &
	REFUSED+=($!)
}
refused watch_b "$BIN" watch "${ra[@]}" 'street.b.>'
refused put_city "$BIN" put "${ra[@]}" city.deny.198-18-0-77 '{"id":"198.18.0.77"}'
refused put_street "$BIN" put "${ra[@]}" street.a.dev.198-18-0-77 '{"id":"198.18.0.77"}'
refused create "$BIN" create "${ra[@]}" d
refused report_b "$BIN" put "${ra[@]}" report.b.198-18-0-20 '{"id":"198.18.0.20"}'
refused report_a "$BIN" report "${ra[@]}" 198.18.0.10 quarantine "port scan"
refused city_revoke "$CITY" revoke "${ra[@]}" 198.18.0.20
refused rogue "$BIN" watch --server "$S" --cert "$TMP/rogue/router-a.pem" \
	--key "$TMP/rogue/router-a.key" --ca "$C/ca.pem" --router a 'city.>'
refused trust "$BIN" watch --server "$S" --cert "$C/router-a.pem" \
	--key "$C/router-a.key" --ca "$TMP/rogue/ca.pem" --router a 'city.>'
refused stranger "$BIN" watch --server "$S" --cert "$C/router-z.pem" \
	--key "$C/router-z.key" --ca "$C/ca.pem" --router z 'city.>'
# A router's certificate at the gate; a console's at the bucket.
printf '%s\n%s\n' "$PW" "$(code carol 30)" >"$TMP/carol.secrets"
router_login() {
	"$CITY" login --server "$S" --cert "$C/router-a.pem" \
		--key "$C/router-a.key" --ca "$C/ca.pem" --console a \
		--session "$TMP/router.session" carol <"$TMP/carol.secrets"
}
refused router_login router_login
refused console_put "$BIN" put "${con2[@]}" city.deny.198-18-0-77 '{"id":"198.18.0.77"}'
for pid in "${REFUSED[@]}"; do
	wait "$pid" || true
done

say() { sed 's/^/# /' "$TMP/$1.err"; }
# was_refused NAME PATTERN: exit 2, and the server's reason on stderr
# (else what it said, as diagnostics).
was_refused() {
	[ "$(cat "$TMP/$1.rc")" = 2 ] && grep -qF -- "$2" "$TMP/$1.err" && return
	say "$1"
	return 1
}
check "router a cannot read street b: the server refuses" \
	was_refused watch_b 'Permissions Violation for Publish to "$JS.API.STREAM.INFO.KV_iotguard-city-street-b"'
check "router a cannot write the city's lists" \
	was_refused put_city 'Permissions Violation for Publish to "$KV.iotguard-city.deny.198-18-0-77"'
check "router a cannot write its own street either" \
	was_refused put_street 'Permissions Violation for Publish to "$KV.iotguard-city-street-a.dev'
check "router a cannot act as the operator (create buckets)" \
	was_refused create 'Permissions Violation for Publish to "$JS.API.STREAM.CREATE'
check "router a's certificate cannot revoke (iotguard-city)" \
	was_refused city_revoke 'Permissions Violation for Publish to "$KV.iotguard-city.revoke.198-18-0-20"'
check "router a cannot report as router b" \
	was_refused report_b 'Permissions Violation for Publish to "$KV.iotguard-city-reports.b.198-18-0-20"'
"$BIN" watch "${op[@]}" 'report.a.>' >"$TMP/reports" 2>&1 || true
check "router a reports its own decision, the operator reads it" \
	grep -q '^[0-9]* put report\.a\.198-18-0-10 {"id":"198.18.0.10","state":"quarantine","reason":"port scan","by":"router:a"' \
	"$TMP/reports"
# A client certificate from another CA fails the servers' TLS check.
rogue_refused() {
	[ "$(cat "$TMP/rogue.rc")" = 2 ] &&
		grep -q "failed to verify client certificate: x509: certificate signed by unknown authority" \
			"$TMP"/n?.log && return
	say rogue
	return 1
}
check "a client certificate of another CA is refused by the servers" \
	rogue_refused
check "a client that does not trust the city's CA refuses the servers" \
	was_refused trust "SSL handshake error: 20:unable to get local issuer certificate"
check "a certificate of the city's CA for no known user is refused" \
	was_refused stranger "Authorization Violation"
check "a router's certificate cannot log in at the gate" \
	eval 'was_refused router_login "Permissions Violation for Publish to \"iotguard-city.gate.login\"" &&
	[ ! -e "$TMP/router.session" ]'
check "a console's certificate cannot write a bucket: only the gate can" \
	was_refused console_put 'Permissions Violation for Publish to "$JS.API.STREAM.INFO.KV_iotguard-city"'

# ---------------------------------------------------- a node goes away
# back N: node N has found the metadata leader since it was started again.
back() {
	sed -n '/--- restarted/,$p' "$TMP/n$1.log" |
		grep -q "JetStream cluster new metadata leader\|Self is new JetStream cluster metadata leader"
}
nats_stop "$TMP" 3 1
# The replicas elect new leaders: a write may time out meanwhile.
put3() { put city.deny.198-18-0-67 '{"id":"198.18.0.67","by":"operator:alice"}' 2>/dev/null; }
tap_wait 40 0.5 put3 || true
denied67() { has "$1" "^add 198\.18\.0\.67 name=city-deny state=deny "; }
all_denied67() { denied67 a && denied67 b && denied67 c; }
check "with one node of three killed, a change reaches every router" \
	tap_wait 240 0.25 all_denied67
echo "# --- restarted" >>"$TMP/n1.log"
nats_start "$TMP" 3 1
tap_wait 240 0.25 back 1 || true

# ------------------------------------------------- the store goes away
lines() { cat "$TMP/rec-a" "$TMP/rec-b" "$TMP/rec-c" | md5sum; }
before=$(lines)
for r in a b c; do
	mark[$r]=$(($(wc -l <"$TMP/agent-$r.log") + 1))
done
nats_stop "$TMP" 3
disconnected() { grep -q "store: disconnected" "$TMP/agent-$1.log"; }
all_disconnected() { disconnected a && disconnected b && disconnected c; }
tap_wait 120 0.25 all_disconnected || true
alive() { kill -0 "${AGENTS[0]}" && kill -0 "${AGENTS[1]}" && kill -0 "${AGENTS[2]}"; }
check "with the whole cluster down the agents run on, tables unchanged" \
	test "$(lines)" = "$before" -a -n "$(alive && echo yes)"

# Router a's agent restarts meanwhile: the store is away, its table and
# its state stay.
kill "${AGENTS[0]}"
wait "${AGENTS[0]}" || true
agent a
AGENTS[0]=$!
away() { [ "$(grep -c "store: away" "$TMP/agent-a.log")" -ge 1 ]; }
check "an agent started while the store is away leaves its table alone" \
	eval 'tap_wait 120 0.25 away && test "$(lines)" = "$before"'

for n in 1 2 3; do
	echo "# --- restarted" >>"$TMP/n$n.log"
done
nats_start "$TMP" 3
all_back() { back 1 && back 2 && back 3; }
tap_wait 240 0.25 all_back || true
all_in_step_again() {
	in_step a "${mark[a]}" && in_step b "${mark[b]}" && in_step c "${mark[c]}"
}
check "when it is back the agents are in step again, nothing applied twice" \
	eval 'tap_wait 480 0.25 all_in_step_again && test "$(lines)" = "$before"'

# A change made after the return reaches router a.
put2() { put street.a.dev.198-18-0-12 '{"id":"198.18.0.12","name":"meter-12","state":"quarantine","by":"operator:carol"}' 2>/dev/null; }
tap_wait 40 0.5 put2 || true
check "a change made after the return converges on router a" \
	tap_wait 120 0.25 has a "^set 198\.18\.0\.12 name=meter-12 state=quarantine .*key=street\.a\.dev\.198-18-0-12 .*by=operator:carol$"

# Per key, the revisions each router applied only ever increase.
increasing() {
	awk '{ key = ""; rev = -1
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^key=/) key = substr($i, 5)
			if ($i ~ /^rev=/) rev = substr($i, 5) + 0
		}
		if (key == "") next
		if ((key in last) && rev < last[key]) { print "older " $0; bad = 1 }
		last[key] = rev
	} END { exit bad }' "$TMP/rec-$1"
}
check "per key, no older revision is ever applied after a newer" \
	eval 'increasing a && increasing b && increasing c'

for pid in "${AGENTS[@]}"; do
	kill "$pid"
done
stopped=0
for pid in "${AGENTS[@]}"; do
	wait "$pid" && stopped=$((stopped + 1))
done
AGENTS=()
declare -A mark
stale=$(sed -n 's/.* \([0-9]*\) stale,.*/\1/p' "$TMP/agent-b.log")
check "the agents skipped what came again and stopped cleanly" \
	test "${stale:-0}" -gt 0 -a "$stopped" = 3

"$CITY" history "${op[@]}" --router a 198.18.0.12 >"$TMP/history" || true
check "a device's history: every value, oldest first" eval \
	'[ "$(wc -l <"$TMP/history")" = 2 ] && head -1 "$TMP/history" | grep -q allow && tail -1 "$TMP/history" | grep -q carol'

tap_end
