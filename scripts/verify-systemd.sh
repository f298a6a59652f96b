#!/usr/bin/env bash
# `make verify-systemd`: proves the systemd units as shipped.
#  1. `make install` lays out binary, units and config under DESTDIR, with
#     ExecStart rewritten to the PREFIX.
#  2. `systemd-analyze verify` accepts sluice.service and an instance of
#     sluice-worker@.service without a word (it reports many problems on
#     stderr and still exits 0, so any output fails), and does catch a
#     misspelt setting (the check can fail).
#  3. MemoryDenyWriteExecute=, SystemCallFilter= and RestrictAddressFamilies=
#     hold for the real fleet: it drains a batch under systemd's W^X seccomp
#     rules (scripts/deny-write-execute.c) and strace, and every system call
#     and socket family it used is inside what the units allow.
#
# usage: scripts/verify-systemd.sh SLUICE DENY-WRITE-EXECUTE
set -euo pipefail
sluice=$(realpath "${1:?usage: $0 SLUICE DENY-WRITE-EXECUTE}")
deny=$(realpath "${2:?usage: $0 SLUICE DENY-WRITE-EXECUTE}")
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/sluice-verify-systemd-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "verify-systemd: $*" >&2; exit 1; }

# 1. The install layout (DESTDIR staging, default PREFIX).
make -s -C "$here" install DESTDIR="$scratch/dest" PREFIX=/usr/local > /dev/null
for file in usr/local/bin/sluice usr/local/lib/systemd/system/sluice.service \
            usr/local/lib/systemd/system/sluice-worker@.service etc/sluice/sluice.json \
            usr/local/share/doc/sluice/examples/sluice.json; do
    [ -e "$scratch/dest/$file" ] || fail "make install did not install $file"
done
[ -x "$scratch/dest/usr/local/bin/sluice" ] || fail "the installed sluice is not executable"
grep -q '^ExecStart=/usr/local/bin/sluice run --config /etc/sluice/sluice.json$' \
    "$scratch/dest/usr/local/lib/systemd/system/sluice.service" || fail "sluice.service: unexpected ExecStart"
echo "verify-systemd: make install DESTDIR=… PREFIX=/usr/local: binary, 2 units, example config"

# 2. systemd-analyze verify wants ExecStart's binary to exist: install for
# real under a scratch PREFIX, so the units name the installed binary.
make -s -C "$here" install PREFIX="$scratch/usr" SYSCONFDIR="$scratch/etc" > /dev/null
units=$scratch/usr/lib/systemd/system
grep -q "^ExecStart=$scratch/usr/bin/sluice worker --config $scratch/etc/sluice/sluice.json --queue %i$" \
    "$units/sluice-worker@.service" || fail "sluice-worker@.service: ExecStart was not rewritten to the PREFIX"
analyze() { SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify --man=no "$2" 2>&1; }
for unit in sluice.service sluice-worker@stripe-api.service sluice-worker@stripe-api.2.service; do
    report=$(analyze "$units" "$unit")
    [ -z "$report" ] || fail "systemd-analyze verify $unit said:"$'\n'"$report"
done
echo "verify-systemd: systemd-analyze verify: sluice.service, sluice-worker@stripe-api{,.2}.service: no findings"
mkdir "$scratch/broken"
sed 's/^ProtectHome=yes/ProtectHome=yse/' "$units/sluice.service" > "$scratch/broken/sluice.service"
[ -n "$(analyze "$scratch/broken" sluice.service)" ] || fail "systemd-analyze verify missed a misspelt value"

# 3a. The W^X filter itself refuses what it must (so a pass below means something).
if "$deny" python3 -c 'import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)' 2> /dev/null; then
    fail "deny-write-execute let a writable+executable mapping through"
fi
# 3b. The fleet under it, traced.
trace=$scratch/trace
"$here/scripts/fleet-smoke.sh" "$sluice" "$scratch/smoke" "$deny" strace -f -qq -o "$trace" \
    || fail "the fleet failed under MemoryDenyWriteExecute's rules"
# Refused quietly counts too: the runtime would have tried, and degraded.
if grep -qE '^[0-9]+ +(mmap|mprotect|pkey_mprotect|shmat)\(.*= -1 EPERM' "$trace"; then
    fail "the fleet asked for W+X memory and was refused: $(grep -E '= -1 EPERM' "$trace" | head -3)"
fi

# 3c. System calls: every one used is in @system-service, groups expanded.
expand() {
    systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' | grep -v -e '^#' -e '^$' | while read -r entry; do
        case $entry in @*) expand "$entry" ;; *) echo "$entry" ;; esac
    done
}
filter=$(sed -n 's/^SystemCallFilter=//p' "$units/sluice.service")
[ "$filter" = "@system-service" ] || fail "the check below assumes SystemCallFilter=@system-service, not $filter"
expand @system-service | sort -u > "$scratch/allowed"
sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' "$trace" | sort -u > "$scratch/used"
outside=$(comm -23 "$scratch/used" "$scratch/allowed")
[ -z "$outside" ] || fail "system calls outside @system-service: $outside"
echo "verify-systemd: MemoryDenyWriteExecute: the fleet drained under systemd's W^X seccomp rules"
echo "verify-systemd: SystemCallFilter=@system-service covers all $(wc -l < "$scratch/used") system calls the fleet made"

# 3d. Socket families: every one used is in RestrictAddressFamilies=.
allowed_families=$(sed -n 's/^RestrictAddressFamilies=//p' "$units/sluice.service")
used_families=$(grep -o 'socket(AF_[A-Z0-9]*' "$trace" | cut -d'(' -f2 | sort -u | tr '\n' ' ')
for family in $used_families; do
    [[ " $allowed_families " == *" $family "* ]] || fail "socket family $family is used but not in RestrictAddressFamilies=$allowed_families"
done
echo "verify-systemd: RestrictAddressFamilies=$allowed_families covers what the fleet opened: $used_families"
