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
