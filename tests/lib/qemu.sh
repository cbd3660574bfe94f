# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# qemu_accel: sets ACCEL to qemu's accelerator options. /dev/kvm may be a
# software hypervisor (kvm_pvm) on which a stock kernel crawls and dies with
# "emulation failure": TCG unless KVM is real.
qemu_accel() {
	if [ -d /sys/module/kvm_pvm ] ||
		! grep -qwE 'vmx|svm' /proc/cpuinfo || ! [ -w /dev/kvm ]; then
		# shellcheck disable=SC2054  # the commas are qemu's
		ACCEL=(-accel tcg,thread=multi -cpu max)
	else
		ACCEL=(-accel kvm -cpu host)
	fi
}
