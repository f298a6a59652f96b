#!/usr/bin/env bash
# A small real fleet, end to end, for the deployment checks: the sandbox on a
# free loopback port (one queue reached as 127.0.0.1, one as localhost),
# `sluice run` (optionally under a wrapper such as the
# MemoryDenyWriteExecute filter or strace) with two queues and three workers,
# 120 tasks enqueued, drained, then SIGTERM. Fails unless /healthz and
# /readyz answer 200 while it runs, every task reached the sandbox, none is
# dead, and the fleet exited 0 on SIGTERM.
# With SMOKE_HEALTHCHECK set to a bash script (the Dockerfile's HEALTHCHECK),
# that script must succeed too, its port 9464 replaced by the listener's.
#
# usage: scripts/fleet-smoke.sh SLUICE WORKDIR [WRAPPER ARGS...]
#   WORKDIR (created, left for the caller) gets fleet.log, sandbox.out,
#   rss.txt (VmRSS of the supervisor and each worker while draining).
set -euo pipefail
sluice=${1:?usage: $0 SLUICE WORKDIR [WRAPPER ARGS...]}
work=${2:?usage: $0 SLUICE WORKDIR [WRAPPER ARGS...]}
shift 2
fleet="smoke-$$"
mkdir -p "$work"
sandbox_pid="" fleet_pid="" listen_port=""

cleanup() {
    if [ -n "$fleet_pid" ]; then
        # Failed half-way: the supervisor (its workers die with it), then any wrapper.
        for pid in $(pgrep -f "^[^ ]*sluice run --config $work/fleet.json") "$fleet_pid"; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    if [ -n "$sandbox_pid" ]; then kill -TERM "$sandbox_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -f "/dev/shm/sluice.$fleet"
}
trap cleanup EXIT

"$sluice" sandbox --listen 127.0.0.1:0 > "$work/sandbox.out" 2> "$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 100); do grep -q listening "$work/sandbox.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/sandbox.out")
[ -n "$port" ] || { cat "$work/sandbox.err"; echo "fleet-smoke: the sandbox did not start" >&2; exit 1; }

cat > "$work/fleet.json" <<EOF
{"fleet": "$fleet", "spool": "$work/spool", "shutdownTimeout": "5s", "listen": "127.0.0.1:0",
 "queues": {
   "stripe-api": {"provider": "stripe", "baseURL": "http://127.0.0.1:$port", "rate": "40/s", "processes": 2},
   "sendgrid-api": {"provider": "sendgrid", "baseURL": "http://localhost:$port", "rate": "40/s"}}}
EOF
export STRIPE_API_KEY=sk_test_smoke SENDGRID_API_KEY=SG.smoke
for i in $(seq 80); do echo "{\"kind\":\"create_payment\",\"payload\":{\"amount\":$((100 + i)),\"currency\":\"usd\"}}"; done \
    | "$sluice" enqueue stripe-api --config "$work/fleet.json" > /dev/null
for _ in $(seq 40); do echo '{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hi"}]}}'; done \
    | "$sluice" enqueue sendgrid-api --config "$work/fleet.json" > /dev/null

"$@" "$sluice" run --config "$work/fleet.json" 2> "$work/fleet.log" &
fleet_pid=$!

# The status line of GET $1 on the fleet's listener.
probe() {
    exec 4<>"/dev/tcp/127.0.0.1/$listen_port"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&4
    head -n 1 <&4 | tr -d '\r'
    exec 4<&-
}
left() { "$sluice" queue list --config "$work/fleet.json" --json | grep -o '"\(ready_due\|ready_waiting\|leased\|journaled\)":[0-9]*' | awk -F: '{ sum += $2 } END { print sum + 0 }'; }
sampled=no
for _ in $(seq 300); do
    # While draining, the RSS of the supervisor (the process running `run`) and of each worker.
    started=$(grep -c 'component=supervisor.*event=worker.started' "$work/fleet.log" 2> /dev/null || true)
    if [ "$sampled" = no ] && [ "${started:-0}" -ge 3 ]; then
        sleep 1
        for pid in $(pgrep -f "$work/fleet.json"); do
            role=$(tr '\0' ' ' < "/proc/$pid/cmdline" | grep -o 'strace\|sluice run\|--queue [a-z-]*' | head -1 || true)
            printf '%-22s %s\n' "${role/--queue /worker }" "$(grep VmRSS "/proc/$pid/status" | tr -s '\t ' ' ')" >> "$work/rss.txt" || true
        done
        sampled=yes
        listen_port=$(sed -n 's/.*event=http.listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/fleet.log" | head -n 1)
        [ -n "$listen_port" ] || { echo "fleet-smoke: the fleet logged no listening address" >&2; exit 1; }
        for path in /healthz /readyz; do
            answer=$(probe "$path")
            [[ $answer == *" 200 "* ]] || { echo "fleet-smoke: GET $path answered: $answer" >&2; exit 1; }
        done
        if [ -n "${SMOKE_HEALTHCHECK:-}" ]; then
            bash -c "${SMOKE_HEALTHCHECK//9464/$listen_port}" || { echo "fleet-smoke: the HEALTHCHECK failed" >&2; exit 1; }
        fi
    fi
    [ "$(left)" = 0 ] && break
    kill -0 "$fleet_pid" 2>/dev/null || break
    sleep 0.1
done
remaining=$(left)
# SIGTERM to the supervisor itself, not to a wrapper (strace would only detach).
supervisor=$(pgrep -f "^[^ ]*sluice run --config $work/fleet.json" || true)
kill -TERM "${supervisor:-$fleet_pid}" 2>/dev/null || true
status=0
wait "$fleet_pid" || status=$?
fleet_pid=""

dead=$("$sluice" queue list --config "$work/fleet.json" --json | grep -o '"dead":[0-9]*' | awk -F: '{ sum += $2 } END { print sum + 0 }')
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /__sandbox/stats HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n' >&3
stats=$(cat <&3)
exec 3<&-
successes() { echo "$stats" | grep -o "\"$1\":{[^}]*}" | head -1 | grep -o '"successes":[0-9]*' | cut -d: -f2; }
payments=$(successes stripe.payment_intents)
emails=$(successes sendgrid.mail_send)
echo "fleet-smoke: /healthz and /readyz 200${SMOKE_HEALTHCHECK:+, HEALTHCHECK passed}; exit $status after SIGTERM, left $remaining, dead $dead, sandbox saw $payments payments and $emails emails"
if [ "$sampled" = no ] || [ "$status" != 0 ] || [ "$remaining" != 0 ] || [ "$dead" != 0 ] || [ "$payments" != 80 ] || [ "$emails" != 40 ]; then
    echo "fleet-smoke: FAILED; the fleet's log:" >&2
    tail -20 "$work/fleet.log" >&2
    exit 1
fi
