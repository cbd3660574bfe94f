# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# For tests/unit/openwrt.sh: the few of OpenWrt's /lib/functions.sh that
# packaging/openwrt's scripts use, over a UCI file, written for the test
# (not OpenWrt's code): config_load NAME reads $UCI_CONFIG_DIR/NAME;
# config_foreach, config_get and config_get_bool read what it loaded.
# Anonymous sections are named cfg1, cfg2, ... in their order.
#
# A value is read as the shell reads words (UCI quotes as the shell
# does): test files only. The locals have names no caller uses: a
# caller's variable of the same name would get the value, then lose it.

UCI_CONFIG_DIR=${UCI_CONFIG_DIR:-/etc/config}
UCI_SECTIONS=

config_load() {
	local file="$UCI_CONFIG_DIR/$1" keyword rest n=0 section=

	UCI_SECTIONS=
	while read -r keyword rest; do
		case $keyword in
		config)
			eval "set -- $rest"
			n=$((n + 1))
			section=${2:-cfg$n}
			UCI_SECTIONS="$UCI_SECTIONS $section"
			eval "UCI_TYPE_$section=\$1"
			;;
		option)
			eval "set -- $rest"
			eval "UCI_VALUE_${section}_$1=\$2"
			;;
		esac
	done <"$file"
}

# config_foreach FUNCTION TYPE: FUNCTION SECTION for each section of TYPE.
config_foreach() {
	local function=$1 type=$2 section t

	for section in $UCI_SECTIONS; do
		eval "t=\${UCI_TYPE_$section}"
		[ "$t" = "$type" ] && "$function" "$section"
	done
	return 0
}

# config_get VARIABLE SECTION OPTION [DEFAULT]: DEFAULT when unset or empty.
config_get() {
	local _uci_value

	eval "_uci_value=\${UCI_VALUE_${2}_$3:-\$4}"
	eval "$1=\$_uci_value"
}

# config_get_bool VARIABLE SECTION OPTION [DEFAULT]: 1 or 0.
config_get_bool() {
	local _uci_bool

	config_get _uci_bool "$2" "$3" "$4"
	case $_uci_bool in
	1 | on | true | yes | enabled) _uci_bool=1 ;;
	*) _uci_bool=0 ;;
	esac
	eval "$1=\$_uci_bool"
}
