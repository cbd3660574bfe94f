# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A NATS JetStream city on loopback for the fleet tests
# (Documentation/fleet.rst): certificates made at test time, a cluster of
# nats-server nodes with TLS everywhere, client certificates mapped to
# users (verify_and_map), and per-user permissions on the subjects the
# key-value bucket and the JetStream API use.
#
#	. tests/lib/nats.sh
#	nats_certs DIR operator router-a router-b   # city CA, server, clients
#	NATS_CONSOLES="tab1"                        # consoles of the gate
#	nats_cluster_config DIR 3 CITY a b          # n1..n3, routers a and b
#	nats_start DIR 3                            # PIDs in DIR/nN.pid
#	nats_wait_ready DIR 3
#	S=$(nats_urls 3)                            # for --server
#	...
#	nats_stop DIR 3
#
# Each node listens for clients on $NATS_HOST:$((NATS_PORT + N - 1))
# (NATS_HOST: 127.0.0.1 unless set, as the guest's fleet test sets it to
# its bridge's address; NATS_SAN then adds it to the servers'
# certificate, as IP:ADDRESS) and for its routes on
# 127.0.0.1:$((NATS_PORT + 100 + N - 1)), its monitoring port (HTTP) on
# 127.0.0.1:$((NATS_PORT + 200 + N - 1)); NATS_PORT is chosen free by
# nats_pick_port unless set. A client has NATS_TLS_TIMEOUT seconds (5)
# for its TLS handshake. Loopback, or the guest's own bridge: nothing
# leaves the machine.

# The organisation every certificate of the city names.
NATS_ORG=iotguard-city

# nats_pick_port: sets NATS_PORT (unless set) to a base where the nine
# ports of a 3-node cluster are all free, within 20000-30099.
nats_pick_port() {
	local base i used

	[ -z "${NATS_PORT:-}" ] || return 0
	used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	for ((i = 0; i < 50; i++)); do
		base=$((20000 + (RANDOM % 98) * 100 + RANDOM % 50))
		if ! grep -qxE "$base|$((base + 1))|$((base + 2))|$((base + 100))|$((base + 101))|$((base + 102))|$((base + 200))|$((base + 201))|$((base + 202))" \
			<<<"$used"; then
			NATS_PORT=$base
			return 0
		fi
	done
	echo "nats_pick_port: no free ports" >&2
	return 1
}

# nats_user NAME: the user a client certificate of NAME maps to, as
# nats-server writes a certificate's subject (RFC 2253).
nats_user() {
	echo "CN=$1,O=$NATS_ORG"
}

# nats_cert DIR NAME CA [SERVER]: DIR/NAME.pem and DIR/NAME.key signed by
# the CA DIR/CA.pem; SERVER: for 127.0.0.1, also a client (routes).
nats_cert() {
	local dir=$1 name=$2 ca=$3 server=${4:-} ext

	ext=$dir/$name.ext
	if [ -n "$server" ]; then
		printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost${NATS_SAN:+,$NATS_SAN}" \
			"extendedKeyUsage=serverAuth,clientAuth" >"$ext"
	else
		echo "extendedKeyUsage=clientAuth" >"$ext"
	fi
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$dir/$name.key" -subj "/O=$NATS_ORG/CN=$name" \
		-out "$dir/$name.csr" 2>/dev/null
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" \
		-CAkey "$dir/$ca.key" -CAcreateserial -days 2 -extfile "$ext" \
		-out "$dir/$name.pem" 2>/dev/null
	rm -f "$dir/$name.csr" "$ext"
}

# nats_ca DIR NAME: a self-signed CA, DIR/NAME.pem and DIR/NAME.key.
nats_ca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1/$2.key" -subj "/O=$NATS_ORG/CN=$2" -days 2 \
		-out "$1/$2.pem" 2>/dev/null
}

# nats_certs DIR CLIENT...: the city CA (ca), the servers' certificate
# (server) and one client certificate per CLIENT, in DIR/certs.
nats_certs() {
	local dir=$1/certs name

	shift
	mkdir -p "$dir"
	nats_ca "$dir" ca
	nats_cert "$dir" server ca server
	for name in "$@"; do
		nats_cert "$dir" "$name" ca
	done
}

# nats_router_permissions CITY ROUTER: a router's permissions
# (Documentation/fleet.rst, "Permissions"). What it may publish is all it
# can ask of JetStream. libnats 3.4 creates a watcher's consumer with the
# old $JS.API.CONSUMER.CREATE.<stream> request, whose filter is in the
# payload where permissions cannot see it: whoever may create consumers on
# a stream may read all of it. Hence a stream (a bucket) per street: a
# router may create consumers on its street's bucket and on the city-wide
# lists, nowhere else. It may look up stream names (js_Subscribe finds the
# stream of a subject so), bind to those buckets and the reports bucket
# (STREAM.INFO), delete its consumers, answer flow control, and put under
# its own name in the reports bucket. No STREAM.MSG.GET and no
# DIRECT.GET: it reads by watchers alone. Its inboxes, where replies and
# deliveries arrive, are its own (a custom inbox prefix): with _INBOX.> it
# could read what JetStream delivers to another router.
nats_router_permissions() {
	local api="\$JS.API" city=$1 r=$2 s

	s="$1-street-$2"
	cat <<EOF
          permissions: {
            publish: {
              allow: [
                "$api.INFO",
                "$api.STREAM.NAMES",
                "$api.STREAM.INFO.KV_$city",
                "$api.STREAM.INFO.KV_$s",
                "$api.STREAM.INFO.KV_$city-reports",
                "$api.CONSUMER.CREATE.KV_$city",
                "$api.CONSUMER.CREATE.KV_$s",
                "$api.CONSUMER.DELETE.KV_$city.*",
                "$api.CONSUMER.DELETE.KV_$s.*",
                "\$JS.FC.KV_$city.>",
                "\$JS.FC.KV_$s.>",
                "\$KV.$city-reports.$r.>"
              ]
            }
            subscribe: { allow: [ "_IG.$r.>" ] }
          }
EOF
}

# nats_gate_permissions CITY: the operator gate's (iotguard-gate run):
# take the requests on CITY.gate.*, answer them (allow_responses: to the
# requests' reply subjects alone), read and write the buckets.
nats_gate_permissions() {
	cat <<EOF
          permissions: {
            publish: { allow: [ "\$JS.API.>", "\$KV.>", "\$JS.FC.>" ] }
            subscribe: { allow: [ "$1.gate.>", "_IG.gate.>" ] }
            allow_responses: true
          }
EOF
}

# nats_console_permissions CITY NAME: an operator's console (certificate
# console-NAME): requests to the gate, its own inboxes, nothing else. It
# cannot touch a bucket: every change goes through the gate.
nats_console_permissions() {
	cat <<EOF
          permissions: {
            publish: { allow: [ "$1.gate.>" ] }
            subscribe: { allow: [ "_IGC.$2.>" ] }
          }
EOF
}

# nats_cluster_config DIR NODES CITY ROUTER...: DIR/nN.conf for nodes 1
# to NODES (their JetStream stores in DIR/nN; a single node without a
# cluster), the operator (certificate
# "operator": everything; the city's administrator), each ROUTER
# (certificate "router-ROUTER"), the gate (certificate "gate") and each
# console of NATS_CONSOLES (certificate "console-NAME").
nats_cluster_config() {
	local dir=$1 nodes=$2 city=$3 n i routes="" users r cluster

	shift 3
	nats_pick_port
	for ((i = 1; i <= nodes; i++)); do
		routes+="    nats-route://127.0.0.1:$((NATS_PORT + 99 + i))"$'\n'
	done
	users="        { user: \"$(nats_user operator)\" }"$'\n'
	users+="        {
          user: \"$(nats_user gate)\"
$(nats_gate_permissions "$city")
        }"$'\n'
	for r in ${NATS_CONSOLES:-}; do
		users+="        {
          user: \"$(nats_user "console-$r")\"
$(nats_console_permissions "$city" "$r")
        }"$'\n'
	done
	for r in "$@"; do
		users+="        {
          user: \"$(nats_user "router-$r")\"
$(nats_router_permissions "$city" "$r")
        }"$'\n'
	done
	for ((n = 1; n <= nodes; n++)); do
		mkdir -p "$dir/n$n"
		# One node stands alone: JetStream without a cluster (the
		# package test's router and its city on one machine).
		cluster=
		[ "$nodes" -eq 1 ] || cluster=$(cat <<EOF
cluster {
  name: city
  listen: 127.0.0.1:$((NATS_PORT + 99 + n))
  routes: [
$routes  ]
  tls {
    cert_file: "$dir/certs/server.pem"
    key_file: "$dir/certs/server.key"
    ca_file: "$dir/certs/ca.pem"
    verify: true
    timeout: 5
  }
}
EOF
)$'\n'
		cat >"$dir/n$n.conf" <<EOF
# Node $n of the test city (tests/lib/nats.sh).
server_name: n$n
listen: ${NATS_HOST:-127.0.0.1}:$((NATS_PORT + n - 1))
http: 127.0.0.1:$((NATS_PORT + 199 + n))
jetstream {
  store_dir: "$dir/n$n"
  max_memory_store: 64MB
  max_file_store: 256MB
}
tls {
  cert_file: "$dir/certs/server.pem"
  key_file: "$dir/certs/server.key"
  ca_file: "$dir/certs/ca.pem"
  verify_and_map: true
  timeout: ${NATS_TLS_TIMEOUT:-5}
}
${cluster}accounts {
  CITY {
    jetstream: enabled
    users: [
$users    ]
  }
}
EOF
	done
}

# nats_start DIR NODES [N]: starts the nodes (or node N alone), logs in
# DIR/nN.log, PIDs in DIR/nN.pid.
nats_start() {
	local dir=$1 nodes=$2 n first=1 last

	last=$nodes
	[ -z "${3:-}" ] || { first=$3; last=$3; }
	for ((n = first; n <= last; n++)); do
		nats-server -c "$dir/n$n.conf" >>"$dir/n$n.log" 2>&1 &
		echo $! >"$dir/n$n.pid"
	done
}

# nats_stop DIR NODES [N]: stops the nodes we started (or node N), by PID,
# and waits for them to exit.
nats_stop() {
	local dir=$1 nodes=$2 n first=1 last pid

	last=$nodes
	[ -z "${3:-}" ] || { first=$3; last=$3; }
	for ((n = first; n <= last; n++)); do
		[ -f "$dir/n$n.pid" ] || continue
		pid=$(cat "$dir/n$n.pid")
		rm -f "$dir/n$n.pid"
		kill "$pid" 2>/dev/null || continue
		wait "$pid" 2>/dev/null || true
	done
}

# nats_urls NODES: the nodes' client URLs, as --server takes them.
nats_urls() {
	local n urls=

	for ((n = 0; n < $1; n++)); do
		urls+=${urls:+,}tls://${NATS_HOST:-127.0.0.1}:$((NATS_PORT + n))
	done
	echo "$urls"
}

# nats_stamp: stdin to stdout, each line after the time it was read
# ($EPOCHREALTIME): an agent's log on the test's clock.
nats_stamp() {
	local line

	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# nats_ready DIR NODES: every node's health check answers ok, which it
# does once JetStream has a meta leader and the node is current with it.
# Not the logs: a node that learns of the leader before its name logs
# yet another line ("new remote metadata leader"), as a fast machine
# showed.
nats_ready() {
	local n port status

	for ((n = 1; n <= $2; n++)); do
		port=$(sed -n 's/^http: 127.0.0.1:\([0-9]*\)$/\1/p' "$1/n$n.conf")
		status=$(curl -s --max-time 5 "http://127.0.0.1:$port/healthz") ||
			return 1
		[[ $status == *'"status":"ok"'* ]] || return 1
	done
}
