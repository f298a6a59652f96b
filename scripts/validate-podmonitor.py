"""Validates PodMonitor documents strictly against the Prometheus Operator's
CRD, which kubernetes-validate has no schema for (it only warns "couldn't
find schema" and exits 0).

The schema comes from cloudcoil-models-prometheus-operator (PyPI): Pydantic
models generated from the operator's CRDs. Those models ignore unknown
fields, so strictness is added here: every key of the document must survive
a round trip through the model; a key the CRD does not define is reported
with its path. Types and enums are checked by the model itself.

usage: python3 scripts/validate-podmonitor.py FILE...  (YAML, multi-document)
Prints nothing and exits 0 when every PodMonitor is valid.
"""
import sys

import yaml
from cloudcoil.models.prometheus_operator.v1 import PodMonitor


def unknown_keys(document, model_dump, path=""):
    """Paths in `document` that `model_dump` (what the model understood) lacks."""
    if isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}" if path else key
            if not isinstance(model_dump, dict) or key not in model_dump:
                yield where
            else:
                yield from unknown_keys(value, model_dump[key], where)
    elif isinstance(document, list) and isinstance(model_dump, list):
        for index, (item, dumped) in enumerate(zip(document, model_dump)):
            yield from unknown_keys(item, dumped, f"{path}.{index}")


def main(paths):
    problems, checked = [], 0
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            for document in yaml.safe_load_all(stream):
                if not document or document.get("kind") != "PodMonitor":
                    continue
                checked += 1
                name = f"{path}: PodMonitor/{document.get('metadata', {}).get('name')}"
                try:
                    model = PodMonitor.model_validate(document)
                except Exception as error:  # pydantic.ValidationError, reported as is
                    problems.append(f"{name}: {error}")
                    continue
                dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
                problems += [f"{name}: {key}: not a field of the PodMonitor CRD" for key in unknown_keys(document, dumped)]
    if checked == 0:
        problems.append(f"no PodMonitor in {', '.join(paths)}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
