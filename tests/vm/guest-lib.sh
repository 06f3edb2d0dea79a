# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Guest side of the VM tools, installed as /lib/refurb-vm-guest.sh in every
# initramfs built by build-initramfs.sh. A payload sources it:
#
#     . /lib/refurb-vm-guest.sh
#
# Everything the host reads goes to the serial console (ttyS0) between
# markers that vm-lib.sh parses:
#
#     @@REFURB-VM EVENT <name> <uptime> [words...]@@     one line
#     @@REFURB-VM BEGIN <name>@@ ... @@REFURB-VM END <name>@@   a block
#
# Times are guest uptimes in seconds (/proc/uptime, 10 ms resolution):
# busybox date has no sub-second format.

vm_uptime() {
        cut -d' ' -f1 /proc/uptime
}

# vm_event NAME [WORDS...]: an event line with the current uptime.
vm_event() {
        _n=$1
        shift
        echo "@@REFURB-VM EVENT $_n $(vm_uptime)${*:+ $*}@@"
}

# vm_block NAME FILE: FILE's content between markers (JSON, logs...).
vm_block() {
        {
                echo "@@REFURB-VM BEGIN $1@@"
                cat "$2" 2>/dev/null
                echo
                echo "@@REFURB-VM END $1@@"
        }
}

vm_log() {
        echo "refurb-vm: $*"
}

# vm_wait_path PATH [SECONDS]: wait for PATH to exist (device nodes appear
# asynchronously after the driver probes). 1 when it did not.
vm_wait_path() {
        _t=$(( ${2:-30} * 10 ))
        while [ ! -e "$1" ]; do
                _t=$((_t - 1))
                [ $_t -gt 0 ] || return 1
                sleep 0.1
        done
}

# vm_disk_by_serial SERIAL [SECONDS]: print /dev/<disk> of the whole disk
# with that serial number (NVMe: device/serial; SCSI and ATA through libata:
# VPD page 0x80). 1 when none showed up.
vm_disk_by_serial() {
        _t=$(( ${2:-30} * 10 ))
        while :; do
                for _b in /sys/block/*; do
                        [ -e "$_b/device" ] || continue
                        _s=
                        if [ -r "$_b/device/serial" ]; then
                                _s=$(cat "$_b/device/serial" 2>/dev/null)
                        elif [ -r "$_b/device/vpd_pg80" ]; then
                                _s=$(tr '\000-\037\177-\377' ' ' <"$_b/device/vpd_pg80" 2>/dev/null)
                        fi
                        for _w in $_s; do
                                if [ "$_w" = "$1" ] && [ -e "/dev/${_b##*/}" ]; then
                                        echo "/dev/${_b##*/}"
                                        return 0
                                fi
                        done
                done
                _t=$((_t - 1))
                [ $_t -gt 0 ] || return 1
                sleep 0.1
        done
}

# vm_sectors_written DISK: sectors written so far (field 7 of /sys/block/X/stat).
vm_sectors_written() {
        awk '{print $7}' "/sys/block/${1##*/}/stat" 2>/dev/null
}
