#!/usr/bin/env bash
# Builds and runs Sluice's libFuzzer targets, outside SwiftPM.
#
#   scripts/fuzz.sh [target...]        every target when none is named
#
# FUZZ_SECONDS (default 60) is each target's run time; FUZZ_SECONDS_<target>
# overrides it for one target (e.g. FUZZ_SECONDS_http=30). A crash, a
# violated property (a trap) or a leak of the run time fails the script.
#
# How it builds: SwiftPM cannot instrument a library for libFuzzer, so each
# module a target imports is compiled here with swiftc, whole-module, with
# `-sanitize=fuzzer` (coverage for the fuzzer to follow) and `-enable-testing`
# (targets may `@testable import` what they check), into .build/fuzz/lib.
# The module graph is read from Package.swift (`swift package dump-package`),
# so it never drifts from the real build. A module is rebuilt only when its
# sources or a module it imports changed. The target itself is the file
# Fuzz/<Name>Fuzz.swift, linked with every module it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# name | fuzz source | modules it imports | -max_len | other targets' seed corpora it also reads
TARGETS="
http        | Fuzz/HTTPRequestParserFuzz.swift | SluiceHTTP                     | 4096
json        | Fuzz/JSONRoundTripFuzz.swift     | SluiceJSON                     | 4096
task        | Fuzz/TaskRequestFuzz.swift       | SluiceSpool SluiceJSON SluiceCore | 4096
config      | Fuzz/FleetConfigFuzz.swift       | SluiceConfig SluiceJSON        | 8192
rate        | Fuzz/RateTextFuzz.swift          | SluiceLimiter SluiceCore SluiceSandbox | 256
retry-after | Fuzz/RetryAfterFuzz.swift        | SluiceProviders                | 512
provider-wait | Fuzz/ProviderWaitFuzz.swift    | SluiceProviders SluiceConfig SluiceCore | 1024
shared-budget | Fuzz/SharedBudgetFuzz.swift    | SluiceSandbox SluiceHTTP SluiceJSON | 512
segment     | Fuzz/SegmentHeaderFuzz.swift     | SluiceLimiter SluicePOSIX      | 32768
http-head   | Fuzz/HTTPHeadFirstFuzz.swift     | SluiceHTTP                     | 8192
path        | Fuzz/RequestPathFuzz.swift       | SluiceProviders                | 4096
redact      | Fuzz/SecretRedactorFuzz.swift    | SluiceProviders SluiceConfig   | 4096
answer      | Fuzz/CurlTransferFuzz.swift      | SluiceWorker SluiceProviders   | 8192
result      | Fuzz/ResultCaptureFuzz.swift     | SluiceProviders SluiceConfig SluiceSpool SluiceJSON | 8192
resp        | Fuzz/RESPParserFuzz.swift        | SluiceRedis                    | 512
door        | Fuzz/TaskAdmissionFuzz.swift     | SluiceControl SluiceProviders SluiceConfig SluiceSpool SluiceHTTP | 8192 | task
"

OUT=.build/fuzz
LIB=$OUT/lib
SWIFTC=${SWIFTC:-swiftc}
SWIFT=${SWIFT:-swift}
CLANG=${CLANG:-clang}
# As Package.swift builds every module: Swift 6 mode, the `strict` settings.
SWIFT_FLAGS=(-swift-version 6 -enable-upcoming-feature ExistentialAny -O -parse-as-library -sanitize=fuzzer)
export SWIFT_BACKTRACE=enable=no
# Shared-memory names the segment target may create; whatever a crash leaves is removed on exit.
export SLUICE_FUZZ_SHM_PREFIX="fuzz-$$"
trap 'rm -f /dev/shm/sluice.$SLUICE_FUZZ_SHM_PREFIX-*' EXIT
mkdir -p "$LIB"

# The module graph, one line per target: "name dependency...".
graph() {
    if [[ ! -s $OUT/graph.txt || Package.swift -nt $OUT/graph.txt ]]; then
        "$SWIFT" package dump-package \
            | jq -r '.targets[] | select(.type == "regular") | [.name, (.dependencies[] | (.byName // .target)[0])] | join(" ")' \
            > "$OUT/graph.txt.new"
        mv "$OUT/graph.txt.new" "$OUT/graph.txt"
    fi
    cat "$OUT/graph.txt"
}

dependencies() { graph | awk -v name="$1" '$1 == name { for (i = 2; i <= NF; i++) print $i }'; }

# Every module `$@` needs, dependencies first, each once.
closure() {
    local module
    for module in "$@"; do
        # shellcheck disable=SC2046
        closure $(dependencies "$module")
        echo "$module"
    done | awk '!seen[$0]++'
}

# True if $1 is missing or anything after it is newer.
stale() {
    local output=$1; shift
    [[ ! -e $output ]] && return 0
    [[ -n $(find "$@" -newer "$output" -print -quit) ]]
}

build_module() {
    local module=$1 sources=Sources/$1
    if [[ -d $sources/include ]]; then # a C target, as SwiftPM builds one
        stale "$LIB/$module.o" "$sources" || return 0
        echo "fuzz: compiling $module (C)"
        mkdir -p "$LIB/$module"
        printf 'module %s {\n    umbrella header "%s"\n    export *\n}\n' "$module" "$PWD/$sources/include/$module.h" \
            > "$LIB/$module/module.modulemap"
        "$CLANG" -O2 -c -I "$sources/include" "$sources"/*.c -o "$LIB/$module.o"
        return 0
    fi
    local dependency_outputs=()
    for dependency in $(dependencies "$module"); do dependency_outputs+=("$LIB/$dependency.o"); done
    stale "$LIB/$module.o" "$sources" "${dependency_outputs[@]}" || return 0
    echo "fuzz: compiling $module"
    # shellcheck disable=SC2046
    "$SWIFTC" "${SWIFT_FLAGS[@]}" -enable-testing -wmo -module-name "$module" \
        -I "$LIB" $(find "$LIB" -mindepth 1 -maxdepth 1 -type d -printf '-I %p ') \
        -emit-module -emit-module-path "$LIB/$module.swiftmodule" -c -o "$LIB/$module.o" \
        $(find "$sources" -name '*.swift' | sort)
    touch "$LIB/$module.o" # swiftc keeps the old file when the object is unchanged
}

# name → the target's row fields.
field() { echo "$TARGETS" | awk -F' *[|] *' -v name="$1" -v column="$2" '$1 == name { print $column }'; }

build_target() {
    local name=$1 source modules module objects=()
    source=$(field "$name" 2)
    modules=$(field "$name" 3)
    [[ -n $source ]] || { echo "fuzz: no target \"$name\"; targets: $(echo "$TARGETS" | awk -F' *[|] *' 'NF { printf "%s ", $1 }')" >&2; exit 2; }
    # shellcheck disable=SC2086
    for module in $(closure $modules); do
        build_module "$module"
        objects+=("$LIB/$module.o")
    done
    stale "$OUT/$name" "$source" Fuzz/Support "${objects[@]}" || return 0
    echo "fuzz: linking $name"
    # shellcheck disable=SC2046
    "$SWIFTC" "${SWIFT_FLAGS[@]}" -module-name "FuzzTarget" \
        -I "$LIB" $(find "$LIB" -mindepth 1 -maxdepth 1 -type d -printf '-I %p ') \
        "$source" Fuzz/Support/*.swift "${objects[@]}" -o "$OUT/$name"
}

run_target() {
    local name=$1 seconds variable
    variable="FUZZ_SECONDS_${name//-/_}"
    seconds=${!variable:-${FUZZ_SECONDS:-60}}
    mkdir -p "$OUT/corpus-$name" "Fuzz/corpus/$name"
    echo "fuzz: running $name for ${seconds}s"
    # New inputs go to .build; the committed seeds in Fuzz/corpus are only read.
    # grep hides libFuzzer's per-input chatter; the fuzzer's own status decides.
    set +e
    local seeds=("Fuzz/corpus/$name") other
    for other in $(field "$name" 5); do seeds+=("Fuzz/corpus/$other"); done
    "$OUT/$name" -max_total_time="$seconds" -max_len="$(field "$name" 4)" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$OUT/$name-" "$OUT/corpus-$name" "${seeds[@]}" 2>&1 \
        | grep -Ev '^(\s*NEW_FUNC|#[0-9]+\s+(NEW|REDUCE|pulse)|".*# Uses: [0-9]+$|###### )'
    local status=${PIPESTATUS[0]}
    set -e
    [[ $status -eq 0 ]] || echo "fuzz: $name FAILED (status $status); the input is in $OUT/$name-*" >&2
    return "$status"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || read -r -a targets <<< "$(echo "$TARGETS" | awk -F' *[|] *' 'NF { printf "%s ", $1 }')"
for name in "${targets[@]}"; do build_target "$name"; done
for name in "${targets[@]}"; do run_target "$name"; done
