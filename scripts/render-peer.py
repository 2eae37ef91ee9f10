#!/usr/bin/env python3
"""The Python peer of `sluice render --output json` for `make bench`: the same work in Python.

Loads every YAML document under a spec root with PyYAML's C loader (libyaml, as Sluice), places
each Environment's jobs on its clusters (label selectors: matchLabels and matchExpressions),
applies its patches (JSON merge patch, RFC 6902 add/replace/remove) targeted by kind and tier,
stamps the ownership labels and annotations with a SHA-256 spec hash of the canonical JSON, and
writes {"revision", "clusters": [...]} as pretty JSON, one object at a time (streamed, like
Sluice). It is a peer for timing and memory, not a second implementation: it knows only what
`sluice-bench generate-specs` writes.

usage: render-peer.py <spec root>
"""
import copy
import hashlib
import json
import pathlib
import sys

import yaml


def selects(selector, labels):
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def json_patch(document, operations):
    document = copy.deepcopy(document)
    for op in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = document
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        if op["op"] in ("add", "replace"):
            if op["op"] == "replace" and isinstance(parent, dict) and last not in parent:
                raise KeyError(op["path"])
            if isinstance(parent, list):
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
    return document


def main():
    root = pathlib.Path(sys.argv[1])
    clusters, environments, workloads = [], [], []
    for path in sorted(root.rglob("*.y*ml")):
        for document in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader):
            if not isinstance(document, dict):
                continue
            kind = document.get("kind")
            if kind == "Cluster":
                clusters.append(document)
            elif kind == "Environment":
                environments.append(document)
            else:
                workloads.append((str(path.relative_to(root.parent)), document))
    clusters.sort(key=lambda c: c["metadata"]["name"])
    environments.sort(key=lambda e: (e["spec"].get("wave", 0), e["metadata"]["name"]))
    revision = "working-tree"
    out = sys.stdout
    out.write('{\n  "revision": %s,\n  "clusters": [' % json.dumps(revision))
    for index, cluster in enumerate(clusters):
        labels = cluster["metadata"].get("labels") or {}
        tier = cluster["spec"]["tier"]
        placed = [e for e in environments if selects(e["spec"].get("clusters"), labels)]
        objects = []
        for environment in placed:
            spec = environment["spec"]
            for source, workload in workloads:
                if not selects(spec.get("jobs"), workload["metadata"].get("labels") or {}):
                    continue
                value = copy.deepcopy(workload)
                value["metadata"].setdefault("namespace", spec["namespace"])
                for patch in spec.get("patches") or []:
                    target = patch.get("target") or {}
                    if target.get("kind", value["kind"]) != value["kind"] or target.get("tier", tier) != tier:
                        continue
                    if "merge" in patch:
                        value = merge(value, patch["merge"])
                    if "jsonPatch" in patch:
                        value = json_patch(value, patch["jsonPatch"])
                value["metadata"].setdefault("labels", {}).update(
                    {"app.kubernetes.io/managed-by": "sluice", "sluice.dev/environment": environment["metadata"]["name"]})
                digest = hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
                value["metadata"].setdefault("annotations", {}).update(
                    {"sluice.dev/source-revision": revision, "sluice.dev/source": source, "sluice.dev/spec-hash": digest})
                objects.append(value)
        objects.sort(key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        out.write(("\n" if index == 0 else ",\n") + "    {\n")
        out.write('      "name": %s,\n      "tier": %s,\n      "driver": %s,\n      "environments": %s,\n      "objects": ['
                  % (json.dumps(cluster["metadata"]["name"]), json.dumps(tier), json.dumps(cluster["spec"]["driver"]),
                     json.dumps([e["metadata"]["name"] for e in placed])))
        for number, value in enumerate(objects):
            text = json.dumps(value, indent=2).replace("\n", "\n        ")
            out.write(("\n        " if number == 0 else ",\n        ") + text)
        out.write("\n      ]\n    }" if objects else "]\n    }")
    out.write("\n  ]\n}\n" if clusters else "]\n}\n")


if __name__ == "__main__":
    main()
