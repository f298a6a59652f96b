#!/usr/bin/env bash
# `make verify-container`: what can be proven about the image without a
# container engine (none runs on the build machines).
#  1. hadolint finds nothing in the Dockerfile (any output fails).
#  2. The static build the Dockerfile makes (same command, same flags) needs
#     only libc, libm, libstdc++, libgcc_s and libcurl: no Swift runtime
#     library, and every library it loads belongs to a Debian package the
#     runtime stage has (debian:bookworm-slim plus libcurl4).
#  3. That binary, copied out of the build tree and run as an unprivileged
#     user (uid 10001, as in the image) with an empty environment, runs a
#     real fleet end to end (scripts/fleet-smoke.sh), and the Dockerfile's
#     HEALTHCHECK command passes against its listener.
#
# usage: scripts/verify-container.sh SLUICE (the static build)
set -euo pipefail
sluice=$(realpath "${1:?usage: $0 SLUICE}")
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/sluice-verify-container-XXXXXX)
chmod 0755 "$scratch" # uid 10001 runs inside it
trap 'rm -rf "$scratch"' EXIT
fail() { echo "verify-container: $*" >&2; exit 1; }

report=$(hadolint "$here/Dockerfile" 2>&1) || true
[ -z "$report" ] || fail "hadolint Dockerfile:"$'\n'"$report"
grep -q -- '--static-swift-stdlib --product sluice' "$here/Dockerfile" || fail "the Dockerfile no longer builds what this check runs"
echo "verify-container: hadolint Dockerfile: no findings"

# 2. Direct dependencies, then where every loaded library comes from.
needed=$(readelf -d "$sluice" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for library in $needed; do
    case $library in
        libc.so.6 | libm.so.6 | libstdc++.so.6 | libgcc_s.so.1 | libcurl.so.4 | ld-linux-x86-64.so.2) ;;
        *) fail "the static build needs $library, which the runtime image does not provide" ;;
    esac
done
! ldd "$sluice" | grep -q 'not found' || fail "unresolved libraries: $(ldd "$sluice" | grep 'not found')"
packages=$(ldd "$sluice" | awk '/=> \// { print $3 }' | while read -r path; do
    dpkg -S "$(realpath "$path")" 2> /dev/null || dpkg -S "$path"
done | cut -d: -f1 | sort -u)
# The runtime stage's packages: debian:bookworm-slim's own, and libcurl4's dependencies.
runtime=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    libcurl4 libstdc++6 2> /dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
for package in $packages; do
    grep -qx "$package" <<< "$runtime" || fail "a loaded library comes from $package, which libcurl4 and the slim base do not bring"
done
echo "verify-container: the static sluice needs only: $needed"
echo "verify-container: its $(wc -w <<< "$packages") library packages all come with libcurl4 on bookworm-slim"

# 3. The binary alone, unprivileged, with nothing from the build environment.
install -d -m 0755 "$scratch/bin" && install -m 0755 "$sluice" "$scratch/bin/sluice"
install -d -o 10001 -g 10001 "$scratch/run"
env -i PATH=/usr/bin:/bin "$scratch/bin/sluice" --help > /dev/null || fail "sluice --help failed"
# The Dockerfile's HEALTHCHECK script (exec form: bash -c SCRIPT), run against the real listener.
healthcheck=$(sed -n '/^HEALTHCHECK/,/]$/p' "$here/Dockerfile" | sed -n 's/^ *CMD //p' \
    | python3 -c 'import json, sys; command = json.load(sys.stdin); assert command[:2] == ["bash", "-c"]; print(command[2])')
env -i PATH=/usr/bin:/bin SMOKE_HEALTHCHECK="$healthcheck" setpriv --reuid 10001 --regid 10001 --clear-groups \
    "$here/scripts/fleet-smoke.sh" "$scratch/bin/sluice" "$scratch/run/smoke" || fail "the fleet failed as uid 10001"
echo "verify-container: the static sluice, as uid 10001 with an empty environment, drained a fleet; RSS while draining:"
sed 's/^/  /' "$scratch/run/smoke/rss.txt"
