#!/usr/bin/env bash
# `make verify-k8s`: every manifest in k8s/ validated offline and strictly.
#  - kubernetes-validate --strict (its schemas ship in the package): an
#    unknown field is an error; any output at all (a warning such as "couldn't
#    find schema", which exits 0) fails the check.
#  - PodMonitor is a CRD kubernetes-validate has no schema for: it is checked
#    by scripts/validate-podmonitor.py against the operator's CRD models.
#  - kubectl kustomize, if kubectl is installed, renders the kustomization,
#    and the rendered documents are validated the same way.
#  - Both validators are shown a misspelt field first, so a pass means something.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/sluice-verify-k8s-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "verify-k8s: $*" >&2; exit 1; }

# Documents other than PodMonitors go to kubernetes-validate; it must say nothing.
validate() {
    local file=$1 report
    report=$(kubernetes-validate --strict --quiet "$file" 2>&1) || true
    [ -z "$report" ] || fail "kubernetes-validate --strict $file:"$'\n'"$report"
}

# The validators catch a misspelt field.
sed 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' "$here/k8s/statefulset.yaml" > "$scratch/misspelt.yaml"
[ -n "$(kubernetes-validate --strict --quiet "$scratch/misspelt.yaml" 2>&1 || true)" ] || fail "kubernetes-validate missed a misspelt field"
sed 's/scrapeTimeout:/scrapeTimout:/' "$here/k8s/podmonitor.yaml" > "$scratch/misspelt-monitor.yaml"
if python3 "$here/scripts/validate-podmonitor.py" "$scratch/misspelt-monitor.yaml" > /dev/null; then
    fail "validate-podmonitor.py missed a misspelt field"
fi

# Every resource the kustomization lists, as written.
resources=$(sed -n '/^resources:/,/^[a-z]/s/^  - //p' "$here/k8s/kustomization.yaml")
for resource in $resources; do
    if grep -q '^kind: PodMonitor' "$here/k8s/$resource"; then
        report=$(python3 "$here/scripts/validate-podmonitor.py" "$here/k8s/$resource") || fail "$report"
    else
        validate "$here/k8s/$resource"
    fi
done
echo "verify-k8s: kubernetes-validate --strict and the PodMonitor CRD: $(echo "$resources" | wc -w) files, no findings"

# The rendered kustomization, one document per file.
if command -v kubectl > /dev/null; then
    kubectl kustomize "$here/k8s" > "$scratch/rendered.yaml"
    python3 - "$scratch/rendered.yaml" "$scratch/doc" <<'PY'
import sys, yaml
for index, document in enumerate(yaml.safe_load_all(open(sys.argv[1], encoding="utf-8"))):
    suffix = "podmonitor" if document.get("kind") == "PodMonitor" else "resource"
    with open(f"{sys.argv[2]}-{index}.{suffix}.yaml", "w", encoding="utf-8") as out:
        yaml.safe_dump(document, out)
PY
    count=0
    for doc in "$scratch"/doc-*.resource.yaml; do validate "$doc"; count=$((count + 1)); done
    report=$(python3 "$here/scripts/validate-podmonitor.py" "$scratch"/doc-*.podmonitor.yaml) || fail "$report"
    echo "verify-k8s: kubectl kustomize k8s/ renders $((count + 1)) documents, all valid"
else
    echo "verify-k8s: kubectl not installed; kustomize rendering not checked"
fi
