#!/usr/bin/env bash
# The limiter figures README.md quotes: every process count, unpaced and paced,
# each the median of several runs (the machine is shared and noisy).
# usage: scripts/bench-limiter.sh PATH-TO-RELEASE-SLUICE
set -euo pipefail
sluice=${1:?usage: $0 path/to/sluice}
runs=${RUNS:-3}
echo "# sluice bench limiter on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), medians of $runs runs"
for processes in 1 2 4 8 16; do
    "$sluice" bench limiter --processes "$processes" --seconds 3 --runs "$runs"
done
for processes in 1 2 4 8 16; do
    "$sluice" bench limiter --paced --rate 100/s --processes "$processes" --seconds 5 --runs "$runs"
done
"$sluice" bench limiter --paced --rate 1.5/s --processes 16 --seconds 20 --runs "$runs"
# The physical ceiling on this machine: a bare load + CAS loop on one shared word.
for processes in 1 2 4; do
    "$sluice" bench limiter --bare-cas --processes "$processes" --seconds 3 --runs "$runs"
done
