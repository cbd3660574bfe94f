# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tree_copy REPO DEST: a copy of the files git tracks (and new ones it does
# not ignore), or of the tree less build/ without git: what a fresh clone
# would build from, for the package builds of the tests.

tree_copy() {
	local repo=$1 dest=$2

	mkdir -p "$dest"
	if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$repo" ls-files -z --cached --others \
			--exclude-standard |
			(cd "$repo" && xargs -0 tar cf - --ignore-failed-read) |
			tar xf - -C "$dest"
	else
		tar cf - -C "$repo" --exclude=./build . | tar xf - -C "$dest"
	fi
}

# dkms_sources REPO: the files of the module's DKMS source tree, relative
# to it, as the tests expect make install-dkms and iotguard-dkms to hold
# them.
dkms_sources() {
	local f

	echo Kbuild
	echo dkms.conf
	for f in "$1"/kmod/Kbuild "$1"/kmod/*.[ch] \
		"$1"/include/uapi/linux/iotguard.h "$1"/include/iotguard/*.h \
		"$1"/scripts/dkms-build.sh "$1"/scripts/prepare-kdir.sh \
		"$1"/scripts/vmlinux-btf.sh; do
		case $f in *.mod.c) continue ;; esac
		echo "${f#"$1"/}"
	done
}
