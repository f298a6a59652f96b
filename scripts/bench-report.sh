#!/usr/bin/env bash
# `make bench`: every `sluice bench` mode in release, then the side-by-side with
# Celery and Dramatiq, then `sluice bench report` → bench/REPORT.md and its SVGs.
# Raw results go to bench/raw/ (ignored by git); each is recorded with the
# command that produced it (raw/commands.tsv) and the machine (raw/machine.tsv).
#
# usage: scripts/bench-report.sh PATH-TO-RELEASE-SLUICE PATH-TO-VENV-PYTHON
# Knobs (environment): RUNS (limiter, default 3), E2E_RUNS (default 1),
# E2E_TASKS (default 2000), VERSUS_RUNS (default 3), VERSUS_TASKS (default 360),
# SCHEDULE_RUNS (default 3).
#
# Starts one redis-server on 127.0.0.1 (a free port, no persistence) for the
# side-by-side and stops it, and everything else it started, on any exit.
set -euo pipefail
sluice_as_given=${1:?usage: $0 path/to/sluice path/to/venv/python}
sluice=$(realpath "$sluice_as_given")
BENCH_PYTHON_AS_GIVEN=${2:?usage: $0 path/to/sluice path/to/venv/python}
python=$(realpath -s "$BENCH_PYTHON_AS_GIVEN")
runs=${RUNS:-3}
raw=bench/raw
started=$(date +%s)

redis_pid=
redis_dir=
cleanup() {
    if [[ -n $redis_pid ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
    if [[ -n $redis_dir ]]; then rm -rf "$redis_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$raw"
mkdir -p "$raw"

# Runs "$@" with its stdout saved to raw/NAME.EXT, and records the command line.
measure() {
    local name=$1 ext=$2
    shift 2
    printf '%s\t%s\n' "$name" "$*" | sed "s|$sluice|$sluice_as_given|g" >> "$raw/commands.tsv"
    echo "make bench: $name" >&2
    "$@" > "$raw/$name.$ext"
}

{
    printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
    printf 'CPU\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    printf 'cores (nproc)\t%s\n' "$(nproc)"
    printf 'memory\t%s\n' "$(free -h | awk '/^Mem:/ {print $2}')"
    printf 'kernel\t%s\n' "$(uname -sr)"
    printf 'Swift\t%s\n' "$(swift --version 2>&1 | grep -m1 -o 'Swift version [^ ]*')"
    printf 'build\trelease (swift build -c release), %s\n' "$(basename "$sluice")"
    printf 'Python, Celery, Dramatiq, redis-server\t%s\n' "$("$python" -c 'import sys, celery, dramatiq; print(sys.version.split()[0], celery.__version__, dramatiq.__version__, sep=", ")'), $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2)"
    printf 'load before the run\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$raw/machine.tsv"

# 1. The limiter: ops/s across process counts, pacing, and the bare-CAS ceiling.
for processes in 1 2 4 8 16; do
    measure "limiter-unpaced-p$processes" json "$sluice" bench limiter --processes "$processes" --seconds 2 --runs "$runs" --json
done
for processes in 1 2 4 8 16; do
    measure "limiter-paced-p$processes" json "$sluice" bench limiter --paced --rate 100/s --processes "$processes" --seconds 3 --runs "$runs" --json
done
measure limiter-paced-slow json "$sluice" bench limiter --paced --rate 1.5/s --processes 16 --seconds 10 --json
for processes in 1 2 4; do
    measure "limiter-bare-p$processes" json "$sluice" bench limiter --bare-cas --processes "$processes" --seconds 2 --runs "$runs" --json
done

# 2. The spool.
measure spool txt "$sluice" bench spool --backlog 200000

# 3. The fleet end to end, keeping the sandbox's arrivals for the charts.
# It exits 1 when it finds a problem (a 429, a window over its limit, a lost task): that is a result to
# report, so the run goes on, and make bench fails at the end, after writing the report.
e2e_status=0
measure e2e json "$sluice" bench e2e --runs "${E2E_RUNS:-1}" --tasks "${E2E_TASKS:-2000}" --json --arrivals-dir "$raw" || e2e_status=$?

# 4. The side-by-side, against one redis-server of our own.
redis_dir=$(mktemp -d /tmp/sluice-bench-redis-XXXXXX)
redis_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$redis_dir" --daemonize no \
    > "$redis_dir/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do
    if "$python" -c "import redis, sys; redis.Redis(port=$redis_port).ping()" 2>/dev/null; then break; fi
    sleep 0.1
done
printf '%s\t%s\n' versus "$BENCH_PYTHON_AS_GIVEN bench/versus/driver.py --sluice $sluice_as_given --raw bench/raw --redis-port PORT --runs ${VERSUS_RUNS:-3} --tasks ${VERSUS_TASKS:-360} --processes 4 --rate 90 --limit 100/s" >> "$raw/commands.tsv"
echo "make bench: versus" >&2
"$python" bench/versus/driver.py --sluice "$sluice" --raw "$raw" --redis-port "$redis_port" \
    --runs "${VERSUS_RUNS:-3}" --tasks "${VERSUS_TASKS:-360}" --processes 4 --rate 90 --limit 100/s

# 4b. The same contenders configured at exactly the provider's number (issue 12): 20/s against
# the sandbox's 20 in any second. Raw results in raw/at-limit/versus/ (achieved, 429s, worst window).
printf '%s\t%s\n' versus-at-limit "$BENCH_PYTHON_AS_GIVEN bench/versus/driver.py --sluice $sluice_as_given --raw bench/raw/at-limit --redis-port PORT --runs ${VERSUS_RUNS:-3} --tasks 400 --processes 4 --rate 20 --limit 20/s" >> "$raw/commands.tsv"
echo "make bench: versus at the limit" >&2
"$python" bench/versus/driver.py --sluice "$sluice" --raw "$raw/at-limit" --redis-port "$redis_port" \
    --runs "${VERSUS_RUNS:-3}" --tasks 400 --processes 4 --rate 20 --limit 20/s

# 5. The schedule under change (issue 19's scenarios); like e2e, problems are reported, then fail make bench.
schedule_status=0
measure schedule json "$sluice" bench schedule --runs "${SCHEDULE_RUNS:-3}" --json || schedule_status=$?

printf 'make bench took\t%s s\n' "$(( $(date +%s) - started ))" >> "$raw/machine.tsv"
"$sluice" bench report --raw "$raw" --out bench
if (( e2e_status != 0 )); then
    echo "make bench: bench e2e found problems (exit $e2e_status); see bench/REPORT.md, section 3" >&2
fi
if (( schedule_status != 0 )); then
    echo "make bench: bench schedule found problems (exit $schedule_status); see bench/REPORT.md, section 5" >&2
fi
if (( e2e_status != 0 || schedule_status != 0 )); then exit 1; fi
