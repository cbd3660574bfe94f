# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /usr/lib/iotguard/uci.sh: /etc/config/iotguard's device sections as an
# iotguard device file (iotguard(8), DEVICE FILE), for `iotguard apply`.
# Sourced by /etc/init.d/iotguard after /lib/functions.sh: it uses
# config_foreach, config_get and config_get_bool, on a config_load-ed
# iotguard configuration.
#
#	config device
#		option address '198.18.1.12'	# IPv4, IPv6 or IPv6/LEN
#		option mac '02:00:00:00:01:0c'	# the address's MAC; alone:
#						# enrolled by MAC (DHCP)
#		option name 'cam-1'
#		option class 'camera'
#		option rate '200'		# and burst, byte_rate,
#						# byte_burst, as device add
#		option state 'allow'		# allow, deny, quarantine
#		option pin '1'			# iotguardd leaves it alone
#
# becomes
#
#	198.18.1.12 name cam-1 class camera mac 02:00:00:00:01:0c \
#		rate 200 state allow pin # cfg...
#
# on one line (the section's name after the '#').
#
# The values are iotguard's to check (apply reports each problem as
# FILE:LINE); here only what would break the line: a value with a space,
# '#', a quote or a backslash goes in double quotes, escaped, and a value
# with a control character, or a section with neither address nor mac, is
# an error, and nothing is written.

# The UCI options of a device section, in the order they are written, and
# the device file option each one is (byte_rate: byte-rate).
IOTGUARD_UCI_OPTIONS='name class mac rate burst byte_rate byte_burst state'

# iotguard_quote VALUE: VALUE as one device file word.
iotguard_quote() {
	case $1 in
	'' | *[[:space:]\#\"\\]*)
		printf '"%s"' "$(printf '%s' "$1" |
			sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
		;;
	*)
		printf '%s' "$1"
		;;
	esac
}

# iotguard_uci_error SECTION WHAT: says why SECTION cannot be written.
iotguard_uci_error() {
	echo "iotguard: device section $1: $2" >&2
	IOTGUARD_UCI_ERRORS=$((IOTGUARD_UCI_ERRORS + 1))
}

# iotguard_uci_device SECTION: SECTION's line, on standard output.
iotguard_uci_device() {
	local s=$1 address mac opt value line pin

	config_get address "$s" address
	config_get mac "$s" mac
	if [ -n "$address" ]; then
		line=$(iotguard_quote "$address")
	elif [ -n "$mac" ]; then
		line="mac $(iotguard_quote "$mac")"
	else
		iotguard_uci_error "$s" "neither address nor mac"
		return 0
	fi
	for opt in $IOTGUARD_UCI_OPTIONS; do
		config_get value "$s" "$opt"
		[ -n "$value" ] || continue
		# Enrolled by MAC: the MAC is its identity already.
		[ "$opt" = mac ] && [ -z "$address" ] && continue
		case $value in
		*[[:cntrl:]]*)
			iotguard_uci_error "$s" "$opt has a control character"
			return 0
			;;
		esac
		line="$line $(echo "$opt" | tr _ -) $(iotguard_quote "$value")"
	done
	config_get_bool pin "$s" pin 0
	[ "$pin" -eq 0 ] || line="$line pin"
	printf '%s # %s\n' "$line" "$s"
}

# iotguard_render_devices FILE: writes the device sections to FILE (a
# device per line, in their order), replacing it only when every section
# could be written. Returns 0, or 1 after saying why on standard error.
iotguard_render_devices() {
	local out=$1 tmp

	IOTGUARD_UCI_ERRORS=0
	tmp=$(mktemp "$out.XXXXXX") || return 1
	{
		echo "# Written by /etc/init.d/iotguard from" \
			"/etc/config/iotguard:"
		echo "# edit that (after each device, its UCI section)."
		config_foreach iotguard_uci_device device
	} >"$tmp"
	if [ "$IOTGUARD_UCI_ERRORS" -ne 0 ]; then
		rm -f "$tmp"
		echo "iotguard: $IOTGUARD_UCI_ERRORS device sections in" \
			"error: $out not written" >&2
		return 1
	fi
	mv -f "$tmp" "$out"
}
