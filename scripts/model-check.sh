#!/usr/bin/env bash
# Checks the limiter's and the spool's Promela models (model/*.pml) exhaustively with spin,
# then checks that each deliberately broken variant FAILS: a check that cannot
# fail proves nothing.
#
#   scripts/model-check.sh
#
# A model passes when pan searched the full state space (no "search not
# completed", no "max search depth too small") and found no error: no
# violated assertion, no invalid end state. MODEL_DEPTH (default 1000000)
# is pan's -m bound.
set -euo pipefail
cd "$(dirname "$0")/.."

# model | spin -D flags (a broken variant) | expected
CHECKS="
gcra  |                   | pass
gcra  | -DBROKEN          | fail
gcra  | -DBROKEN_GIVE_BACK | fail
keyed |                   | pass
keyed | -DBROKEN          | fail
slots |                   | pass
slots | -DBROKEN          | fail
spool |                   | pass
spool | -DBROKEN_LISTING  | fail
spool | -DBROKEN_ORIGIN   | fail
spool | -DBROKEN_ORDER    | fail
spool | -DBROKEN_OWN      | fail
spool | -DBROKEN_WITHDRAW | fail
hosts |                   | pass
hosts | -DBROKEN          | fail
hosts | -DBROKEN_BOUND    | fail
hosts | -DBROKEN_TRIM     | fail
hosts | -DWITH_HOLD       | pass
hosts | -DWITH_HOLD -DBROKEN_HOLD | fail
"
OUT=.build/model
# Any C compiler builds pan.c; the Swift toolchain always brings clang.
CC=${CC:-$(command -v cc || command -v gcc || command -v clang)}
DEPTH=${MODEL_DEPTH:-1000000}

# Runs one check in its own directory; prints pan's output file.
verify() {
    local model=$1 flags=$2 directory
    directory=$OUT/$model${flags//[^A-Za-z_]/}
    rm -rf "$directory" && mkdir -p "$directory"
    cp "model/$model.pml" "$directory/"
    (
        cd "$directory"
        # shellcheck disable=SC2086
        spin $flags -a "$model.pml" > spin.txt 2>&1 || { cat spin.txt; exit 1; }
        # COLLAPSE: lossless state compression (the spool's model stores 26 M states).
        "$CC" -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=3072 -o pan pan.c
        ./pan -m"$DEPTH" > pan.txt 2>&1 || true
    ) >&2
    echo "$directory/pan.txt"
}

failures=0
while IFS='|' read -r model flags expected; do
    model=${model// /}; expected=${expected// /}; flags=$(echo "$flags" | xargs)
    [[ -n $model ]] || continue
    result=$(verify "$model" "$flags")
    states=$(grep -Eo '^ *[0-9.e+]+ states, stored' "$result" | xargs || true)
    # Statements no interleaving reaches: each should be a comment in the model saying why.
    unreached=$(grep -Ec '^\s+[a-z]+\.pml:[0-9]+, state' "$result" || true)
    if grep -Eq 'errors: 0' "$result" && grep -q 'Full statespace search' "$result" \
        && ! grep -Eqi 'search not completed|max search depth too small' "$result"; then
        outcome=pass
    elif grep -Eq 'errors: [1-9]' "$result"; then
        outcome="fail ($(grep -Eo 'assertion violated.*|invalid end state.*' "$result" | head -1))"
    else
        outcome="incomplete"
    fi
    label="model/$model.pml${flags:+ $flags}"
    if [[ $outcome == "$expected"* ]]; then
        if [[ $outcome == pass ]]; then detail="$states, $unreached unreached statement(s)"; else detail=${outcome#fail }; fi
        printf 'model: %-36s %-5s as expected: %s\n' "$label" "${outcome%% *}" "$detail"
    else
        printf 'model: %-36s expected %s, got %s (see %s)\n' "$label" "$expected" "$outcome" "$result" >&2
        failures=$((failures + 1))
    fi
done <<< "$CHECKS"
[[ $failures -eq 0 ]] || { echo "model: $failures check(s) did not go as expected" >&2; exit 1; }
