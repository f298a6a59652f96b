#!/usr/bin/env bash
# `make verify-k8s`: the base (k8s/base) and every overlay (k8s/overlays/*)
# validated offline and strictly.
#  - kubernetes-validate --strict (its schemas ship in the package): an
#    unknown field is an error; any output at all (a warning such as "couldn't
#    find schema", which exits 0) fails the check.
#  - PodMonitor is a CRD kubernetes-validate has no schema for: it is checked
#    by scripts/validate-podmonitor.py against the operator's CRD models.
#  - An overlay's own resources are validated as written; its patches and
#    generated files are partial, so the overlay's kustomization is checked
#    for structure (every file it names exists, every file in it is named).
#  - kubectl kustomize, if kubectl is installed, renders the base and each
#    overlay, and the rendered documents are validated the same way; an
#    overlay's rendering must carry its own sluice.json and replica count.
#  - Both validators are shown a misspelt field first, so a pass means something.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
base=$here/k8s/base
scratch=$(mktemp -d /tmp/sluice-verify-k8s-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "verify-k8s: $*" >&2; exit 1; }

# Documents other than PodMonitors go to kubernetes-validate; it must say nothing.
validate() {
    local file=$1 report
    report=$(kubernetes-validate --strict --quiet "$file" 2>&1) || true
    [ -z "$report" ] || fail "kubernetes-validate --strict $file:"$'\n'"$report"
}

# One manifest as written: a PodMonitor to its CRD's check, the rest to kubernetes-validate.
validate_resource() {
    local file=$1 report
    if grep -q '^kind: PodMonitor' "$file"; then
        report=$(python3 "$here/scripts/validate-podmonitor.py" "$file") || fail "$report"
    else
        validate "$file"
    fi
}

# The files a kustomization lists under `key:` (a list of "  - name" lines).
listed() { sed -n "/^$1:/,/^[a-z]/s/^  - //p" "$2"; }

# The validators catch a misspelt field.
sed 's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/' "$base/statefulset.yaml" > "$scratch/misspelt.yaml"
[ -n "$(kubernetes-validate --strict --quiet "$scratch/misspelt.yaml" 2>&1 || true)" ] || fail "kubernetes-validate missed a misspelt field"
sed 's/scrapeTimeout:/scrapeTimout:/' "$base/podmonitor.yaml" > "$scratch/misspelt-monitor.yaml"
if python3 "$here/scripts/validate-podmonitor.py" "$scratch/misspelt-monitor.yaml" > /dev/null; then
    fail "validate-podmonitor.py missed a misspelt field"
fi

# Every resource the base's kustomization lists, as written.
resources=$(listed resources "$base/kustomization.yaml")
for resource in $resources; do validate_resource "$base/$resource"; done
echo "verify-k8s: base: kubernetes-validate --strict and the PodMonitor CRD: $(echo "$resources" | wc -w) files, no findings"

# An overlay's structure: it builds on the base, every file it names exists,
# and every file in its folder is named (a forgotten patch is never applied).
check_overlay() {
    local dir=$1
    python3 - "$dir" <<'PY'
import os, sys, yaml
directory = sys.argv[1]
name = os.path.relpath(directory, os.path.join(directory, "..", "..", ".."))
def fail(message):
    sys.exit(f"verify-k8s: {name}/kustomization.yaml: {message}")
with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as source:
    kustomization = yaml.safe_load(source)
known = {"apiVersion", "kind", "labels", "resources", "replicas", "configMapGenerator", "patches", "images"}
if unknown := set(kustomization) - known:
    fail(f"unexpected keys {sorted(unknown)}; this check knows {sorted(known)}")
if (kustomization.get("apiVersion"), kustomization.get("kind")) != ("kustomize.config.k8s.io/v1beta1", "Kustomization"):
    fail("not a kustomize.config.k8s.io/v1beta1 Kustomization")
resources = kustomization.get("resources", [])
if "../../base" not in resources:
    fail("does not build on ../../base")
named = [r for r in resources if r != "../../base"]
named += [patch["path"] for patch in kustomization.get("patches", [])]
for generator in kustomization.get("configMapGenerator", []):
    if generator.get("behavior") not in ("replace", "merge"):
        fail(f"configMapGenerator {generator.get('name')} must replace or merge the base's")
    named += generator.get("files", [])
for entry in kustomization.get("replicas", []):
    if not isinstance(entry.get("count"), int) or entry["count"] < 1:
        fail(f"replicas of {entry.get('name')}: count must be a positive integer")
for path in named:
    if not os.path.isfile(os.path.join(directory, path)):
        fail(f"names {path}, which does not exist")
present = set(os.listdir(directory)) - {"kustomization.yaml"}
if unnamed := present - set(named):
    fail(f"{sorted(unnamed)} in the folder but not in the kustomization")
PY
}

# An overlay's own resources, as written (its patches are partial documents,
# checked in the rendering).
for overlay in "$here"/k8s/overlays/*/; do
    overlay=${overlay%/}
    check_overlay "$overlay"
    count=0
    for resource in $(listed resources "$overlay/kustomization.yaml"); do
        [ "$resource" = ../../base ] && continue
        validate_resource "$overlay/$resource"
        count=$((count + 1))
    done
    echo "verify-k8s: ${overlay#"$here"/}: kustomization well formed, $count files of its own valid"
done

# The rendered kustomization, one document per file, each validated.
render() {
    local dir=$1 out=$scratch/${1//\//_} count=0
    kubectl kustomize "$dir" > "$out.yaml"
    python3 - "$out.yaml" "$out-doc" <<'PY'
import sys, yaml
for index, document in enumerate(yaml.safe_load_all(open(sys.argv[1], encoding="utf-8"))):
    suffix = "podmonitor" if document.get("kind") == "PodMonitor" else "resource"
    with open(f"{sys.argv[2]}-{index}.{suffix}.yaml", "w", encoding="utf-8") as out:
        yaml.safe_dump(document, out)
PY
    for doc in "$out"-doc-*.resource.yaml; do validate "$doc"; count=$((count + 1)); done
    report=$(python3 "$here/scripts/validate-podmonitor.py" "$out"-doc-*.podmonitor.yaml) || fail "$report"
    echo "verify-k8s: kubectl kustomize ${dir#"$here"/} renders $((count + 1)) documents, all valid"
}

# What an overlay says reaches the rendering: its replica counts, and its
# sluice.json as the ConfigMap the pods mount.
check_rendered_overlay() {
    local dir=$1
    python3 - "$dir" "$scratch/${1//\//_}.yaml" <<'PY'
import json, os, sys, yaml
directory, rendered = sys.argv[1], sys.argv[2]
kustomization = yaml.safe_load(open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8"))
documents = list(yaml.safe_load_all(open(rendered, encoding="utf-8")))
def find(kind, name):
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    if len(found) != 1:
        sys.exit(f"verify-k8s: {directory}: {len(found)} {kind} named {name} rendered")
    return found[0]
for entry in kustomization.get("replicas", []):
    replicas = find("StatefulSet", entry["name"])["spec"]["replicas"]
    if replicas != entry["count"]:
        sys.exit(f"verify-k8s: {directory}: StatefulSet {entry['name']} renders {replicas} replicas, not {entry['count']}")
for generator in kustomization.get("configMapGenerator", []):
    data = find("ConfigMap", generator["name"])["data"]
    for path in generator.get("files", []):
        written = json.load(open(os.path.join(directory, path), encoding="utf-8"))
        if json.loads(data[os.path.basename(path)]) != written:
            sys.exit(f"verify-k8s: {directory}: ConfigMap {generator['name']} does not carry {path}")
PY
}

if command -v kubectl > /dev/null; then
    render "$base"
    for overlay in "$here"/k8s/overlays/*/; do
        overlay=${overlay%/}
        render "$overlay"
        check_rendered_overlay "$overlay"
    done
else
    echo "verify-k8s: kubectl not installed; kustomize rendering not checked"
fi
