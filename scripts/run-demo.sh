#!/usr/bin/env bash
# `make run`: the sandbox standing in for the four providers, the fleet from
# examples/sandbox.json, a demo batch across the four queues, and progress per
# queue until drained; then the fleet keeps running until Ctrl-C.
# usage: scripts/run-demo.sh PATH-TO-SLUICE
set -euo pipefail
sluice=${1:?usage: $0 path/to/sluice}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sluice-demo-XXXXXX)
config=$work/sandbox.json
sandbox_pid="" fleet_pid=""

cleanup() {
    trap - EXIT INT TERM
    for pid in $fleet_pid $sandbox_pid; do
        if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
    done
    rm -f /dev/shm/sluice.sandbox
    echo "stopped; the fleet's log was $work/fleet.log (removed)"
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The example config, with a throwaway spool so the demo leaves nothing behind.
sed "0,/{/s||{\n  \"spool\": \"$work/spool\",|" "$here/examples/sandbox.json" > "$config"

"$sluice" sandbox --listen 127.0.0.1:8089 > "$work/sandbox.out" 2> "$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 50); do grep -q listening "$work/sandbox.out" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$work/sandbox.out" || { cat "$work/sandbox.err"; echo "the sandbox did not start (is 127.0.0.1:8089 taken?)"; exit 1; }

# Sandbox credentials: the sandbox checks their shape, never their value.
export SENDGRID_API_KEY=SG.demo STRIPE_API_KEY=sk_test_demo OPENAI_API_KEY=sk-demo TWILIO_AUTH_TOKEN=demo

echo "enqueueing a demo batch: 300 payments, 30 emails, 30 completions, 60 SMS from 3 numbers"
for i in $(seq 300); do echo "{\"kind\":\"create_payment\",\"payload\":{\"amount\":$((100 + i)),\"currency\":\"usd\"}}"; done \
    | "$sluice" enqueue stripe-api --config "$config" > /dev/null
for i in $(seq 30); do echo '{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"you@example.com"}]}],"from":{"email":"demo@example.com"},"subject":"hello","content":[{"type":"text/plain","value":"hi"}]}}'; done \
    | "$sluice" enqueue sendgrid-api --config "$config" > /dev/null
for i in $(seq 30); do echo '{"kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":200}}'; done \
    | "$sluice" enqueue openai-api --config "$config" > /dev/null
for i in $(seq 60); do echo "{\"kind\":\"send_sms\",\"payload\":{\"To\":\"+1555010$((i % 9))\",\"From\":\"+1555020$((i % 3))\",\"Body\":\"hi\"}}"; done \
    | "$sluice" enqueue twilio-api --config "$config" > /dev/null

"$sluice" run --config "$config" 2> "$work/fleet.log" &
fleet_pid=$!

# The sandbox's view: successes and 429s per provider (429s stay at 0: the fleet runs at 90% of the limits).
sandbox_view() {
    exec 3<>/dev/tcp/127.0.0.1/8089
    printf 'GET /__sandbox/stats HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n' >&3
    local stats; stats=$(cat <&3); exec 3<&-
    for endpoint in sendgrid.mail_send stripe.payment_intents openai.chat_completions twilio.messages; do
        local counts; counts=$(echo "$stats" | grep -o "\"$endpoint\":{[^}]*}" | head -1)
        printf '  %-24s done %4s   429s %s\n' "$endpoint" \
            "$(echo "$counts" | grep -o '"successes":[0-9]*' | cut -d: -f2)" \
            "$(echo "$counts" | grep -o '"rateLimited":[0-9]*' | cut -d: -f2)"
    done
}

started=$(date +%s)
while true; do
    listing=$("$sluice" queue list --config "$config")
    printf '\n[%3ss] spool (what is left)\n%s\nsandbox (what the providers saw)\n' "$(( $(date +%s) - started ))" "$listing"
    sandbox_view
    remaining=$(echo "$listing" | awk 'NR > 1 { n += $2 + $3 + $4 } END { print n + 0 }')
    [ "$remaining" -eq 0 ] && break
    kill -0 "$fleet_pid" 2>/dev/null || { echo "the fleet stopped:"; tail -5 "$work/fleet.log"; exit 1; }
    sleep 2
done
echo
echo "drained in $(( $(date +%s) - started )) s, within every limit. The fleet keeps running; Ctrl-C stops it."
echo "From another terminal:"
echo "  watch it live:   $sluice top --config $config"
echo "  enqueue more:    curl -X POST 127.0.0.1:9464/v1/queues/stripe-api/tasks -H 'Content-Type: application/json' -d '{\"kind\":\"create_payment\",\"payload\":{\"amount\":1,\"currency\":\"usd\"}}'"
echo "  change a rate:   $sluice queue set-rate stripe-api 20/s --config $config"
echo "  metrics:         curl 127.0.0.1:9464/metrics"
wait "$fleet_pid"
