#!/usr/bin/env python3
"""A fake Kubernetes API server for Sluice's tests (stdlib only).

It speaks the parts of the API that Sluice uses, in the real wire shapes: discovery (/api, /apis,
/api/v1, /apis/<group>/<version>), get/list/create/update/delete with resourceVersion checks,
label selectors and limit/continue pagination, server-side apply with managedFields, conflicts,
force and dryRun, Status error objects, bearer-token users with a simple RBAC rule, and a few
control endpoints under /__fake/ for failure injection.

Usage:  fake_apiserver.py serve <port> <config.json>
        fake_apiserver.py control <url> <method> [json-body]   (prints the response body)

config.json: {"tokens": {"<token>": "<user>"} (a client certificate signed by tls.clientCA
authenticates as its CN), "limitedUsers": [...], "forbiddenNamespaces": [...],
              "namespacedUsers": {"<user>": ["<namespace>", ...]} (users bound by RoleBindings in
              those namespaces only: every verb there, nothing at the cluster scope),
              "crds": true, "tls": {"cert": ..., "key": ...} | null}
(control `crd` {"name": "<plural>.<group>", "installed": false} removes one CRD, as on an
operator older than that kind; `crds` {"enabled": false} removes them all.)

Deletion follows the real lifecycle: an object with metadata.finalizers gets a deletionTimestamp
and stays until its finalizers are removed (no new finalizers may be added meanwhile). A DELETE's
propagationPolicy (query or DeleteOptions body) is honoured as the API server and its garbage
collector do, the collector working at once whenever something is deleted: Background removes the
owner and then its dependents (objects whose metadata.ownerReferences name its uid); Foreground
keeps the owner with the `foregroundDeletion` finalizer, deletes its dependents and lets the
owner go once no dependent with blockOwnerDeletion is left; Orphan keeps the owner with the
`orphan` finalizer until the collector removed its ownerReferences from the dependents.
"""
import base64, copy, json, os, ssl, sys, threading, time, uuid
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs, unquote

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# group, version, kind, plural, namespaced, is_crd, has_status_subresource
RESOURCES = [
    ("", "v1", "Namespace", "namespaces", False, False, True),
    ("", "v1", "ConfigMap", "configmaps", True, False, False),
    ("", "v1", "Secret", "secrets", True, False, False),
    ("", "v1", "Service", "services", True, False, True),
    ("apps", "v1", "Deployment", "deployments", True, False, True),
    ("apps", "v1", "StatefulSet", "statefulsets", True, False, True),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, False, True),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, False, False),
    ("coordination.k8s.io", "v1", "Lease", "leases", True, False, False),
    ("flink.apache.org", "v1beta1", "FlinkDeployment", "flinkdeployments", True, True, True),
    ("flink.apache.org", "v1beta1", "FlinkSessionJob", "flinksessionjobs", True, True, True),
    ("flink.apache.org", "v1beta1", "FlinkBlueGreenDeployment", "flinkbluegreendeployments", True, True, True),
    # flinkstatesnapshots.flink.apache.org-v1.yml: v1beta1, scope Namespaced, subresources.status.
    ("flink.apache.org", "v1beta1", "FlinkStateSnapshot", "flinkstatesnapshots", True, True, True),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False, False, True),
]
# The scale subresource (autoscaling/v1 Scale) of the kinds that have one, with the field of the
# object it reads and writes: built-in kinds scale spec.replicas; a CRD names its own path in
# spec.versions[].subresources.scale (the Flink operator's FlinkDeployment CRD:
# specReplicasPath .spec.taskManager.replicas, statusReplicasPath .status.taskManager.replicas,
# labelSelectorPath .status.taskManager.labelSelector; FlinkSessionJob has none).
SCALE = {
    "Deployment": (("spec", "replicas"), ("status", "replicas"), None),
    "StatefulSet": (("spec", "replicas"), ("status", "replicas"), None),
    "FlinkDeployment": (("spec", "taskManager", "replicas"), ("status", "taskManager", "replicas"),
                        ("status", "taskManager", "labelSelector")),
}


def crd_object(resource):
    """The CustomResourceDefinition the fake serves for one of its custom kinds: names, scope and
    subresources as the operator's CRD has them (the schema is left out: the fake does not validate)."""
    subresources = {"status": {}}
    if resource.kind in SCALE:
        spec_path, status_path, selector_path = SCALE[resource.kind]
        scale = {"specReplicasPath": dotted(spec_path), "statusReplicasPath": dotted(status_path)}
        if selector_path:
            scale["labelSelectorPath"] = dotted(selector_path)
        subresources["scale"] = scale
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": resource.qualified, "uid": str(uuid.uuid4()), "resourceVersion": "1",
                         "creationTimestamp": now_iso(), "generation": 1},
            "spec": {"group": resource.group, "scope": "Namespaced" if resource.namespaced else "Cluster",
                     "names": {"kind": resource.kind, "plural": resource.plural, "singular": resource.kind.lower(),
                               "listKind": resource.kind + "List"},
                     "versions": [{"name": resource.version, "served": True, "storage": True,
                                   "subresources": subresources}]},
            "status": {"conditions": [{"type": "Established", "status": "True"}],
                       "acceptedNames": {"kind": resource.kind, "plural": resource.plural}}}
MAX_LOG = 5000
# The finalizers the API server sets for a DELETE's propagationPolicy, which the garbage collector acts on.
GC_FINALIZERS_BY_POLICY = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}
GC_FINALIZERS = set(GC_FINALIZERS_BY_POLICY.values())
PROPAGATION_POLICIES = ("Orphan", "Foreground", "Background")
# Kinds whose objects carry metadata.generation (ConfigMaps, Secrets, Services, Namespaces do not).
GENERATION_KINDS = {"Deployment", "StatefulSet", "HorizontalPodAutoscaler", "NetworkPolicy",
                    "FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment", "FlinkStateSnapshot"}
MAX_LIST_LIMIT = 10000
MAX_BODY = 16 << 20
MAX_JSON_PATCH_OPERATIONS = 10000  # apiserver endpoints/handlers/patch.go, maxJSONPatchOperations
# Fields that are the object's identity or server bookkeeping, never owned by a manager.
UNTRACKED = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"),
             ("metadata", "resourceVersion"), ("metadata", "uid"), ("metadata", "managedFields"),
             ("metadata", "creationTimestamp"), ("metadata", "generation")}


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Resource:
    def __init__(self, group, version, kind, plural, namespaced, crd, status):
        self.group, self.version, self.kind, self.plural = group, version, kind, plural
        self.namespaced, self.crd, self.status = namespaced, crd, status

    @property
    def api_version(self):
        return self.version if not self.group else self.group + "/" + self.version

    @property
    def qualified(self):
        return self.plural if not self.group else self.plural + "." + self.group


class APIError(Exception):
    def __init__(self, code, reason, message, details=None, headers=()):
        self.code, self.reason, self.message, self.details, self.headers = code, reason, message, details, headers

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


# ---- field sets (managedFields) --------------------------------------------------------------

def leaf_paths(value, prefix=()):
    """The set of leaf field paths of an applied configuration; lists and empty maps are atomic."""
    out = set()
    if isinstance(value, dict) and value:
        for key, child in value.items():
            out |= leaf_paths(child, prefix + (key,))
    elif prefix:
        out.add(prefix)
    return {p for p in out if p not in UNTRACKED and p[:1] != ("status",)}


def get_path(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None, False
        obj = obj[key]
    return obj, True


def set_path(obj, path, value):
    for key in path[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    if value == {} and isinstance(obj.get(path[-1]), dict):
        return  # an empty map in an apply merges: it keeps what other managers set inside
    obj[path[-1]] = copy.deepcopy(value)


def remove_path(obj, path):
    parents = []
    for key in path[:-1]:
        if not isinstance(obj, dict) or key not in obj:
            return
        parents.append((obj, key))
        obj = obj[key]
    if isinstance(obj, dict):
        obj.pop(path[-1], None)
    # Maps emptied by the removal disappear too, as the real merge does.
    for parent, key in reversed(parents):
        if isinstance(parent.get(key), dict) and not parent[key]:
            del parent[key]
        else:
            break


def fields_v1(paths):
    tree = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault("f:" + key, {})
    return tree


def dotted(path):
    return "." + ".".join(path)


def changed_paths(old, new, prefix=()):
    """Leaf paths whose value differs between two objects (added, changed or removed)."""
    if isinstance(old, dict) and isinstance(new, dict) and (old or new):
        # A map present on both sides is compared key by key (removing its last key changes
        # that key, not the map), as structured-merge-diff's Compare walks maps.
        out = set()
        for key in set(old) | set(new):
            out |= changed_paths(old.get(key), new.get(key), prefix + (key,))
        return out
    if old == new or not prefix:
        return set()
    return leaf_paths(old, prefix) | leaf_paths(new, prefix) | {prefix}


def update_key(manager):
    """The key of a manager's Update entry: structured-merge-diff tells managers apart by name,
    operation and subresource (BuildManagerIdentifier), so `sluice` applying and `sluice`
    updating are two entries, as on a real server."""
    return manager + "\0update"


def record_update(managers, manager, api_version, old, new):
    """managedFields after an Update (create, PUT, JSON or merge patch) by `manager`, as
    structured-merge-diff's Updater.Update does it: fields whose value the update changed or added
    move to `manager` from every other manager (an Update is always forced), fields it removed
    leave every manager's set, and an update that changes no field records nothing for it."""
    changed = {p for p in changed_paths(old, new) if p not in UNTRACKED and p[:1] != ("status",)}
    for info in managers.values():
        info["paths"] -= changed
    present = {p for p in changed if get_path(new, p)[1]}
    if present:
        entry = managers.setdefault(update_key(manager), {"operation": "Update", "apiVersion": api_version,
                                                          "paths": set(), "name": manager})
        entry["paths"] |= present
        entry["time"] = now_iso()
    for key in [k for k, info in managers.items() if not info["paths"]]:
        del managers[key]


class PatchFailed(Exception):
    """A JSON Patch operation that cannot be carried out (RFC 6902 section 5: the whole patch fails)."""


def json_pointer(pointer):
    """The reference tokens of an RFC 6901 JSON Pointer (`~1` is `/`, `~0` is `~`)."""
    if pointer == "":
        return []
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise PatchFailed("invalid JSON pointer %r" % (pointer,))
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def json_equal(a, b):
    """RFC 6902 section 4.6 equality: same type and value (1 and true differ; maps ignore order)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def list_index(items, token, insert):
    if insert and token == "-":
        return len(items)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchFailed("invalid array index %r" % token)
    index = int(token)
    if index > len(items) or (index == len(items) and not insert):
        raise PatchFailed("array index %d out of bounds" % index)
    return index


def value_at(doc, tokens):
    node = doc
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[list_index(node, token, False)]
        else:
            raise PatchFailed("doc is missing path: /" + "/".join(tokens))
    return node


def add_at(doc, tokens, value):
    parent, last = value_at(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(list_index(parent, last, True), value)
    else:
        raise PatchFailed("doc is missing path: /" + "/".join(tokens))


def remove_at(doc, tokens):
    parent, last = value_at(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(list_index(parent, last, False))
    raise PatchFailed("doc is missing path: /" + "/".join(tokens))


def json_patch(doc, operations):
    """`doc` with the RFC 6902 operations applied in order; any failing operation (a `test` whose
    value differs, a `remove` of a missing field) fails the whole patch and changes nothing."""
    doc = copy.deepcopy(doc)
    for operation in operations:
        op = operation.get("op")
        tokens = json_pointer(operation.get("path"))
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchFailed("missing value for operation %r" % op)
        if not tokens and op != "test":
            raise PatchFailed("the fake does not %s the whole document" % op)
        if op == "add":
            add_at(doc, tokens, copy.deepcopy(operation["value"]))
        elif op == "remove":
            remove_at(doc, tokens)
        elif op == "replace":
            remove_at(doc, tokens)
            add_at(doc, tokens, copy.deepcopy(operation["value"]))
        elif op in ("move", "copy"):
            source = json_pointer(operation.get("from"))
            if op == "move" and len(tokens) > len(source) and tokens[:len(source)] == source:
                raise PatchFailed("cannot move a value into one of its children")
            value = remove_at(doc, source) if op == "move" else copy.deepcopy(value_at(doc, source))
            add_at(doc, tokens, value)
        elif op == "test":
            if not json_equal(value_at(doc, tokens), operation["value"]):
                raise PatchFailed("testing value %s failed: test failed" % operation.get("path"))
        else:
            raise PatchFailed("Unexpected kind: %s" % op)
    return doc


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: maps merge key by key, null removes a key, anything else
    (lists included) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# ---- label selectors -----------------------------------------------------------------------

def split_requirements(selector):
    parts, depth, current = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_selector(selector):
    reqs = []
    for part in split_requirements(selector or ""):
        words = part.split()
        if len(words) >= 2 and words[1] in ("in", "notin"):
            values = " ".join(words[2:]).strip()
            if not (values.startswith("(") and values.endswith(")")):
                raise APIError(400, "BadRequest", "unable to parse requirement: " + part)
            reqs.append((words[0], words[1], {v.strip() for v in values[1:-1].split(",") if v.strip()}))
        elif "!=" in part:
            key, value = part.split("!=", 1)
            reqs.append((key.strip(), "!=", value.strip()))
        elif "==" in part or "=" in part:
            key, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            reqs.append((key.strip(), "=", value.strip()))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!exists", None))
        else:
            reqs.append((part, "exists", None))
    return reqs


def matches(labels, reqs):
    for key, op, value in reqs:
        has, current = key in labels, labels.get(key)
        # Evaluated per operator: `value` is a string for =/!= and a set for in/notin.
        if op == "=":
            ok = has and current == value
        elif op == "!=":
            ok = current != value
        elif op == "in":
            ok = has and current in value
        elif op == "notin":
            ok = current not in value
        else:
            ok = has if op == "exists" else not has
        if not ok:
            return False
    return True


# ---- permissions taken away by the test (control `authorization`) --------------------------
# A test takes a permission away as a cluster admin does by leaving it out of every Role: control
# `authorization` {"resource": "<plural>.<group>" ("<plural>" in the core group), "forbidden":
# ["list", ...], "namespaces": [...] (optional; absent: every namespace and the cluster scope)}
# refuses those verbs on that resource to every user; "forbidden": [] gives them back. The refusal
# is the one k8s.io/apiserver writes when its authorizer denies a request (endpoints/handlers/
# responsewriters/errors.go `Forbidden` and `forbiddenMessage`, apimachinery errors.NewForbidden):
# 403, a Status with reason Forbidden, details {group, kind: <plural>, name when there is one} and
# the message `<plural>.<group> is forbidden: User "<user>" cannot <verb> resource "<plural>" in
# API group "<group>" in the namespace "<namespace>"` (`at the cluster scope` without one).

def set_forbidden_verbs(store, args):
    resource = str(args["resource"])
    verbs = set(args.get("forbidden", []))
    unknown = verbs - set(VERBS)
    if unknown:
        raise ValueError("unknown verbs %s" % sorted(unknown))
    namespaces = args.get("namespaces")
    if verbs:
        store.forbidden_verbs[resource] = (verbs, None if namespaces is None else set(namespaces))
    else:
        store.forbidden_verbs.pop(resource, None)


def check_forbidden_verbs(store, user, verb, resource, namespace, name):
    rule = store.forbidden_verbs.get(resource.qualified)
    if rule is None:
        return
    verbs, namespaces = rule
    if verb not in verbs or (namespaces is not None and namespace not in namespaces):
        return
    where = (' in the namespace "%s"' % namespace) if namespace else " at the cluster scope"
    what = '%s "%s"' % (resource.qualified, name) if name else resource.qualified
    details = {"group": resource.group, "kind": resource.plural}
    if name:
        details["name"] = name
    raise APIError(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s'
                   % (what, user, verb, resource.plural, resource.group, where), details)


# ---- the store -----------------------------------------------------------------------------

class Store:
    def __init__(self, config):
        self.lock = threading.RLock()
        self.tokens = config.get("tokens", {})
        self.limited_users = set(config.get("limitedUsers", []))
        self.forbidden_namespaces = set(config.get("forbiddenNamespaces", []))
        self.namespaced_users = {u: set(ns) for u, ns in config.get("namespacedUsers", {}).items()}
        self.crds = bool(config.get("crds", True))
        self.uninstalled_crds = set()  # qualified names of single CRDs removed (an older operator's set)
        self.forbidden_verbs = {}  # qualified resource -> (verbs, namespaces or None): control `authorization`
        self.resources = [Resource(*r) for r in RESOURCES]
        self.objects = {}  # (group, plural, namespace, name) -> object
        self.managers = {}  # same key -> {manager: {"operation", "apiVersion", "time", "paths"}}
        self.rv = 100
        self.log = deque(maxlen=MAX_LOG)
        self.request_count = 0
        self.throttle = {"count": 0, "retryAfter": 1, "code": 429}
        self.latency_ms = 0
        self.objects[("", "namespaces", None, "default")] = self.namespace_object("default")
        self.managers[("", "namespaces", None, "default")] = {}
        for r in self.resources:
            if r.crd:
                self.objects[("apiextensions.k8s.io", "customresourcedefinitions", None, r.qualified)] = crd_object(r)

    def namespace_object(self, name):
        self.rv += 1
        return {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "uid": str(uuid.uuid4()), "resourceVersion": str(self.rv),
                             "creationTimestamp": now_iso(),
                             "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}

    def visible(self):
        return [r for r in self.resources if not r.crd or (self.crds and r.qualified not in self.uninstalled_crds)]

    def find(self, group, version, plural):
        for r in self.visible():
            if r.group == group and r.version == version and r.plural == plural:
                return r
        return None

    def find_kind(self, api_version, kind):
        for r in self.visible():
            if r.api_version == api_version and r.kind == kind:
                return r
        return None

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    # ---- deletion and the garbage collector ----
    # Stored objects are replaced or get a new metadata dict; nothing below metadata changes in place.

    def delete_object(self, key, kind, policy):
        """A DELETE as the registry does it: Orphan and Foreground become the `orphan` and
        `foregroundDeletion` finalizers (Background drops both; no policy keeps what is there), and
        an object with finalizers gets a deletionTimestamp and stays. Returns the object while it
        stays, None once it is gone."""
        obj = self.objects[key]
        meta = obj["metadata"]
        if kind == "Namespace":  # the namespace controller's job, done at once
            self.remove(key)
            for k in [k for k in self.objects if k[2] == key[3]]:
                self.remove(k)
            return None
        finalizers = list(meta.get("finalizers") or [])
        if policy is not None:
            finalizers = [f for f in finalizers if f not in GC_FINALIZERS]
            if policy in GC_FINALIZERS_BY_POLICY:
                finalizers.append(GC_FINALIZERS_BY_POLICY[policy])
        if not finalizers:
            self.remove(key)
            return None
        if "deletionTimestamp" not in meta or finalizers != (meta.get("finalizers") or []):
            meta = dict(meta, finalizers=finalizers, resourceVersion=self.next_rv())
            meta.setdefault("deletionTimestamp", now_iso())
            meta.setdefault("deletionGracePeriodSeconds", 0)
            self.objects[key] = obj = dict(obj, metadata=meta)
        return obj

    def remove(self, key):
        self.objects.pop(key, None)
        self.managers.pop(key, None)

    def update_metadata(self, key, **fields):
        obj = self.objects[key]
        meta = {k: v for k, v in dict(obj["metadata"], **fields).items() if v is not None}
        meta["resourceVersion"] = self.next_rv()
        self.objects[key] = dict(obj, metadata=meta)

    def collect_garbage(self):
        """The garbage collector's work (kube-controller-manager's garbagecollector), done at once
        after a deletion: dependents whose owners are all gone or waiting for them are deleted
        (in the foreground when they have dependents of their own), references to such owners are
        dropped where a live owner remains, `orphan` owners first strip their references from the
        dependents, and `foregroundDeletion` owners go once no blocking dependent is left."""
        changed = True
        while changed:
            changed = False
            by_uid = {o["metadata"].get("uid"): k for k, o in self.objects.items()}
            dependents = {}
            for k, o in self.objects.items():
                for ref in o["metadata"].get("ownerReferences") or []:
                    dependents.setdefault(ref.get("uid"), []).append(k)
            for key in list(self.objects):
                obj = self.objects.get(key)
                if obj is None:
                    continue
                meta = obj["metadata"]
                uid, finalizers = meta.get("uid"), meta.get("finalizers") or []
                deleting = "deletionTimestamp" in meta
                if deleting and "orphan" in finalizers:
                    for dependent in dependents.get(uid, []):
                        if dependent in self.objects:
                            refs = [r for r in self.objects[dependent]["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                            self.update_metadata(dependent, ownerReferences=refs or None)
                    self.finish_finalizer(key, "orphan")
                    changed = True
                    continue
                if deleting and "foregroundDeletion" in finalizers:
                    blocking = [d for d in dependents.get(uid, []) if d in self.objects and any(
                        r.get("uid") == uid and r.get("blockOwnerDeletion") for r in self.objects[d]["metadata"].get("ownerReferences") or [])]
                    if not blocking:
                        self.finish_finalizer(key, "foregroundDeletion")
                        changed = True
                    continue
                refs = meta.get("ownerReferences") or []
                if not refs or deleting:
                    continue
                owners = [(r, self.objects.get(by_uid.get(r.get("uid")))) for r in refs]
                waiting = lambda o: "deletionTimestamp" in o["metadata"] and "foregroundDeletion" in (o["metadata"].get("finalizers") or [])
                gone = [r for r, o in owners if o is None or waiting(o)]
                if not gone:
                    continue
                if len(gone) < len(owners):
                    self.update_metadata(key, ownerReferences=[r for r in refs if r not in gone])
                else:
                    own = [f for f in finalizers if f in GC_FINALIZERS]
                    policy = {"orphan": "Orphan", "foregroundDeletion": "Foreground"}.get(own[0]) if own else (
                        "Foreground" if any(waiting(o) for _, o in owners if o is not None) and dependents.get(uid) else "Background")
                    self.delete_object(key, obj.get("kind"), policy)
                changed = True

    def finish_finalizer(self, key, finalizer):
        finalizers = [f for f in self.objects[key]["metadata"].get("finalizers") or [] if f != finalizer]
        if finalizers:
            self.update_metadata(key, finalizers=finalizers)
        else:
            self.remove(key)


def output(store, key, obj):
    """The object as the API returns it: with managedFields rendered from the field sets.

    Only the top level and metadata are copied: stored objects are replaced, never changed below
    metadata in place, and the copy is serialized right away (a deep copy per listed item made
    lists of thousands slow)."""
    result = dict(obj)
    result["metadata"] = dict(obj.get("metadata") or {})
    entries = []
    for manager, info in sorted(store.managers.get(key, {}).items()):
        if info["paths"]:
            entry = {"manager": info.get("name", manager), "operation": info["operation"], "apiVersion": info["apiVersion"],
                     "time": info["time"], "fieldsType": "FieldsV1", "fieldsV1": fields_v1(info["paths"])}
            if info.get("subresource"):
                entry["subresource"] = info["subresource"]
            entries.append(entry)
    if entries:
        result.setdefault("metadata", {})["managedFields"] = entries
    return result


def apply_defaults(resource, obj):
    """The defaulting that Sluice's tests observe through dryRun (a few real defaults)."""
    spec = obj.get("spec")
    if resource.kind in ("Deployment", "StatefulSet") and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        if resource.kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        else:
            spec.setdefault("podManagementPolicy", "OrderedReady")
    if resource.kind == "Service" and isinstance(spec, dict):
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("clusterIP", "10.96.0.%d" % (hash(obj["metadata"].get("name")) % 200 + 10))
    if resource.kind == "Namespace":
        meta = obj.setdefault("metadata", {})
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name")
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})
    if resource.kind == "Secret":
        obj.setdefault("type", "Opaque")


def content_changed(old, new):
    strip = lambda o: {k: v for k, v in o.items() if k not in ("metadata", "status")}
    return strip(old) != strip(new)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None  # set at start
    # As Go's net/http (the real server) does: TCP_NODELAY, and a response's headers and body
    # leave in one write (flushed by handle_one_request after each request). Without both, each
    # response's body waited for the client's delayed ACK of its headers (about 40 ms per request).
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def setup(self):
        if hasattr(self.request, "do_handshake"):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def log_message(self, format, *args):
        pass

    def send_json(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:  # the real server's limit is 3 MiB per object; this only bounds memory
            self.close_connection = True
            return self.send_json(413, APIError(413, "RequestEntityTooLarge", "request entity too large").status())
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        store = self.store
        if url.path.startswith("/__fake/service-proxy"):
            return service_proxy_control(self, url.path[len("/__fake/"):], json.loads(body or b"{}"))
        if url.path.startswith("/__fake/"):
            return self.control(url.path[len("/__fake/"):], body)
        with store.lock:
            store.log.append("%s %s" % (self.command, self.path))
            store.request_count += 1
            throttled = store.throttle["count"] > 0
            if throttled:
                store.throttle["count"] -= 1
                throttle = dict(store.throttle)
            latency = store.latency_ms
        if latency:
            time.sleep(min(latency, 30000) / 1000)
        try:
            if throttled:
                raise APIError(throttle["code"], "TooManyRequests" if throttle["code"] == 429 else "InternalError",
                               "the server has received too many requests and has asked us to try again later",
                               {"retryAfterSeconds": throttle["retryAfter"]},
                               headers=[("Retry-After", str(throttle["retryAfter"]))])
            user = self.authenticate()
            proxied = service_proxy_parts(url.path)
            if proxied:
                return service_proxy(self, *proxied, url.query, body, user)
            code, result = self.route(url.path, query, body, user)
            self.send_json(code, result)
        except APIError as error:
            self.send_json(error.code, error.status(), error.headers)
        except Exception as error:  # a bug in the fake: answer 500 with the reason
            self.send_json(500, APIError(500, "InternalError", "fake apiserver bug: %r" % error).status())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def authenticate(self):
        header = self.headers.get("Authorization") or ""
        token = header[len("Bearer "):] if header.startswith("Bearer ") else None
        user = self.store.tokens.get(token) if token else None
        if user is None and not token:
            # X.509 client certificate authentication: the (CA-verified) certificate's CN is the user.
            certificate = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
            for field in (certificate or {}).get("subject", ()):
                for key, value in field:
                    if key == "commonName":
                        user = value
        if user is None:
            raise APIError(401, "Unauthorized", "Unauthorized")
        return user

    # ---- control endpoints ----
    def control(self, name, body):
        store = self.store
        args = json.loads(body or b"{}")
        with store.lock:
            if name == "requests":
                return self.send_json(200, list(store.log))
            if name == "request-count":
                return self.send_json(200, {"count": store.request_count})
            if name == "throttle":
                store.throttle = {"count": min(int(args.get("count", 1)), 1000),
                                  "retryAfter": int(args.get("retryAfter", 1)), "code": int(args.get("code", 429))}
            elif name == "latency":
                store.latency_ms = max(0, min(int(args.get("ms", 0)), 30000))
            elif name == "crds":
                store.crds = bool(args.get("enabled", True))
            elif name == "crd":
                if args.get("installed", True):
                    store.uninstalled_crds.discard(args["name"])
                else:
                    store.uninstalled_crds.add(args["name"])
            elif name == "authorization":
                try:
                    set_forbidden_verbs(store, args)
                except ValueError as error:
                    return self.send_json(400, {"error": str(error)})
            elif name == "rbac":
                store.forbidden_namespaces = set(args.get("forbiddenNamespaces", store.forbidden_namespaces))
                if "namespacedUsers" in args:
                    store.namespaced_users = {u: set(ns) for u, ns in args["namespacedUsers"].items()}
            elif name == "status":
                resource = store.find_kind(args["apiVersion"], args["kind"])
                key = (resource.group, resource.plural, args.get("namespace") if resource.namespaced else None, args["name"])
                if key not in store.objects:
                    return self.send_json(404, {"error": "no such object"})
                store.objects[key]["status"] = args["status"]
                store.objects[key]["metadata"]["resourceVersion"] = store.next_rv()
                # A controller's status write is an Update of the status subresource in managedFields.
                store.managers.setdefault(key, {})[args.get("manager", "status-controller")] = {
                    "operation": "Update", "apiVersion": resource.api_version, "time": now_iso(),
                    "subresource": "status", "paths": {("status",)}}
            else:
                return self.send_json(404, {"error": "unknown control " + name})
        self.send_json(200, {"ok": True})

    # ---- routing ----
    def route(self, path, query, body, user):
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        store = self.store
        if parts == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.server.server_address[1]}]}
        if parts == ["apis"]:
            return 200, self.group_list()
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise APIError(404, "NotFound", "the server could not find the requested resource", {})
        with store.lock:
            known = any(r.group == group and r.version == version for r in store.visible())
            if not known:
                raise APIError(404, "NotFound", "the server could not find the requested resource", {})
            if not rest:
                return 200, self.resource_list(group, version)
            namespace = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            resource = store.find(group, version, rest[0])
            if resource is None or (namespace is not None and not resource.namespaced) or len(rest) > 3:
                raise APIError(404, "NotFound", "the server could not find the requested resource", {})
            name = rest[1] if len(rest) >= 2 else None
            subresource = rest[2] if len(rest) == 3 else None
            if subresource == "scale" and resource.kind in SCALE and name:
                return self.handle_scale(resource, namespace, name, query, body, user)
            if subresource not in (None, "status"):
                raise APIError(404, "NotFound", "the server could not find the requested resource", {})
            if resource.kind == "CustomResourceDefinition" and name and (not store.crds or name in store.uninstalled_crds):
                raise self.not_found(resource, name)
            return self.handle_resource(resource, namespace, name, query, body, user)

    def group_list(self):
        groups, seen = [], set()
        for r in self.store.visible():
            if r.group and r.group not in seen:
                seen.add(r.group)
                gv = {"groupVersion": r.api_version, "version": r.version}
                groups.append({"name": r.group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group, version):
        resources = []
        for r in self.store.visible():
            if r.group == group and r.version == version:
                resources.append({"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                                  "kind": r.kind, "verbs": VERBS, "storageVersionHash": r.kind[:8]})
                if r.status:
                    resources.append({"name": r.plural + "/status", "singularName": "", "namespaced": r.namespaced,
                                      "kind": r.kind, "verbs": ["get", "patch", "update"]})
                if r.kind in SCALE:
                    resources.append({"name": r.plural + "/scale", "singularName": "", "namespaced": r.namespaced,
                                      "group": "autoscaling", "version": "v1", "kind": "Scale",
                                      "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": version if not group else group + "/" + version, "resources": resources}

    def authorize(self, user, verb, resource, namespace, name):
        store = self.store
        check_forbidden_verbs(store, user, verb, resource, namespace, name)
        if user in store.namespaced_users:
            # RoleBindings only: every verb inside the bound namespaces, nothing at the cluster scope.
            if resource.namespaced and namespace in store.namespaced_users[user]:
                return
            what = '%s "%s"' % (resource.qualified, name) if name else resource.qualified
            where = (' in the namespace "%s"' % namespace) if (resource.namespaced and namespace) else " at the cluster scope"
            raise APIError(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s'
                           % (what, user, verb, resource.plural, resource.group, where),
                           {"name": name or "", "group": resource.group, "kind": resource.plural})
        if user not in store.limited_users or verb in ("get", "list", "watch"):
            return
        target = namespace if resource.namespaced else (name if resource.kind == "Namespace" else None)
        if target in store.forbidden_namespaces:
            what = '%s "%s"' % (resource.qualified, name) if name else resource.qualified
            where = ' in the namespace "%s"' % namespace if namespace else ""
            raise APIError(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s'
                           % (what, user, verb, resource.plural, resource.group, where),
                           {"name": name or "", "group": resource.group, "kind": resource.plural})

    def not_found(self, resource, name):
        return APIError(404, "NotFound", '%s "%s" not found' % (resource.qualified, name),
                        {"name": name, "group": resource.group, "kind": resource.plural})

    def handle_resource(self, resource, namespace, name, query, body, user):
        method = self.command
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}[method]
        self.authorize(user, verb, resource, namespace, name)
        if method == "GET" and name:
            key = self.key(resource, namespace, name)
            if key not in self.store.objects:
                raise self.not_found(resource, name)
            return 200, output(self.store, key, self.store.objects[key])
        if method == "GET":
            return 200, self.list(resource, namespace, query)
        if method == "DELETE" and name:
            return self.delete(resource, namespace, name, query, body)
        if method == "PATCH" and name:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type in ("application/json-patch+json", "application/merge-patch+json"):
                return self.patch(resource, namespace, name, body, content_type, query, user)
        document = self.parse_body(body)
        if method == "POST" and not name:
            return self.create(resource, namespace, document, query, user)
        if method == "PUT" and name:
            return self.update(resource, namespace, name, document, query, user)
        if method == "PATCH" and name:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type != "application/apply-patch+yaml":
                raise APIError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            return self.apply(resource, namespace, name, document, query)
        raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def handle_scale(self, resource, namespace, name, query, body, user):
        """GET, PUT (the HorizontalPodAutoscaler controller's Update) and PATCH (merge patch, as
        `kubectl scale` sends it) of the autoscaling/v1 Scale of an object. A write changes the
        object's replicas field and records the writer in managedFields as an Update of the
        `scale` subresource, in the object's own field path, as the API server does."""
        store = self.store
        spec_path, status_path, selector_path = SCALE[resource.kind]
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch"}.get(self.command)
        if verb is None:
            raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        self.authorize(user, verb, resource, namespace, name)
        with store.lock:
            key = self.key(resource, namespace, name)
            obj = store.objects.get(key)
            if obj is None:
                raise self.not_found(resource, name)
            if verb != "get":
                document = self.parse_body(body)
                if verb == "patch":
                    content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                    if content_type not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                        raise APIError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                       "accepted media types include: application/merge-patch+json, "
                                       "application/strategic-merge-patch+json")
                else:
                    if document.get("apiVersion") != "autoscaling/v1" or document.get("kind") != "Scale":
                        raise APIError(400, "BadRequest", "the API version in the data (%s) does not match the expected "
                                       "API version (autoscaling/v1)" % document.get("apiVersion"))
                    given = (document.get("metadata") or {}).get("resourceVersion")
                    if given and given != obj["metadata"]["resourceVersion"]:
                        raise self.conflict(resource, name)
                replicas = (document.get("spec") or {}).get("replicas")
                if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                    raise APIError(422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: %s: '
                                   'must be greater than or equal to 0' % (name, json.dumps(replicas)),
                                   {"name": name, "group": "autoscaling", "kind": "Scale",
                                    "causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                                "message": "must be greater than or equal to 0"}]})
                current, _ = get_path(obj, spec_path)
                if current != replicas and query.get("dryRun") != "All":
                    set_path(obj, spec_path, replicas)
                    meta = obj["metadata"]
                    meta["resourceVersion"] = store.next_rv()
                    if "generation" in meta:
                        meta["generation"] = (meta.get("generation") or 1) + 1
                    manager = query.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]
                    managers = store.managers.setdefault(key, {})
                    for info in managers.values():
                        info["paths"].discard(spec_path)
                    entry = managers.setdefault(manager + "\0scale", {"operation": "Update", "apiVersion": resource.api_version,
                                                                       "time": now_iso(), "paths": set(),
                                                                       "subresource": "scale", "name": manager})
                    entry["paths"].add(spec_path)
                    entry["time"] = now_iso()
            spec_replicas, _ = get_path(obj, spec_path)
            status_replicas, _ = get_path(obj, status_path)
            selector = get_path(obj, selector_path)[0] if selector_path else None
            scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
                     "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                                  "creationTimestamp") if k in obj["metadata"]},
                     "spec": {} if spec_replicas is None else {"replicas": spec_replicas},
                     "status": {"replicas": status_replicas or 0}}
            if selector:
                scale["status"]["selector"] = selector
            return 200, scale

    def parse_body(self, body):
        try:
            document = json.loads(body or b"null")
        except ValueError as error:
            raise APIError(400, "BadRequest", "error decoding patch: %s" % error)
        if not isinstance(document, dict):
            raise APIError(400, "BadRequest", "the request body must be an object")
        return document

    def key(self, resource, namespace, name):
        return (resource.group, resource.plural, namespace if resource.namespaced else None, name)

    def require_namespace(self, resource, namespace):
        if resource.namespaced and ("", "namespaces", None, namespace) not in self.store.objects:
            raise APIError(404, "NotFound", 'namespaces "%s" not found' % namespace,
                           {"name": namespace, "kind": "namespaces"})

    def check_identity(self, resource, namespace, name, document):
        meta = document.get("metadata") or {}
        if document.get("apiVersion") != resource.api_version or document.get("kind") != resource.kind:
            raise APIError(400, "BadRequest", "the API version in the data (%s) does not match the expected API "
                           "version (%s)" % (document.get("apiVersion"), resource.api_version))
        if name is not None and meta.get("name") not in (None, name):
            raise APIError(400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)"
                           % (meta.get("name"), name))
        if resource.namespaced and meta.get("namespace") not in (None, namespace):
            raise APIError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                           "sent on the request")

    def list(self, resource, namespace, query):
        store = self.store
        reqs = parse_selector(query.get("labelSelector"))
        with store.lock:
            keys = sorted(k for k in store.objects if k[0] == resource.group and k[1] == resource.plural
                          and (namespace is None or k[2] == namespace))
            if resource.kind == "CustomResourceDefinition" and not store.crds:
                keys = []
            if resource.kind == "CustomResourceDefinition":
                keys = [k for k in keys if k[3] not in store.uninstalled_crds]
            chosen = [k for k in keys if matches((store.objects[k].get("metadata") or {}).get("labels") or {}, reqs)]
            start = 0
            if query.get("continue"):
                try:
                    after = tuple(json.loads(base64.urlsafe_b64decode(query["continue"]).decode())["after"])
                except (ValueError, KeyError, TypeError):
                    raise APIError(400, "BadRequest", "continue key is not valid: incorrect encoded start "
                                   "resourceVersion (version meta.k8s.io/v1)")
                start = len([k for k in chosen if (k[2] or "", k[3]) <= after])
            limit = int(query.get("limit") or 0) or MAX_LIST_LIMIT
            page = chosen[start:start + min(limit, MAX_LIST_LIMIT)]
            items = []
            for k in page:
                item = output(store, k, store.objects[k])
                item.pop("apiVersion", None)  # list items carry no kind/apiVersion, as in real lists
                item.pop("kind", None)
                items.append(item)
            metadata = {"resourceVersion": str(store.rv)}
            if start + len(page) < len(chosen) and page:
                last = page[-1]
                token = json.dumps({"after": [last[2] or "", last[3]], "rv": store.rv}).encode()
                metadata["continue"] = base64.urlsafe_b64encode(token).decode()
                metadata["remainingItemCount"] = len(chosen) - start - len(page)
            return {"kind": resource.kind + "List", "apiVersion": resource.api_version, "metadata": metadata,
                    "items": items}

    def validate_lease(self, resource, obj):
        """coordination.k8s.io validation of a Lease spec (ValidateLeaseSpec): a set duration is
        positive and the transition count is not negative."""
        if resource.kind != "Lease":
            return
        spec = obj.get("spec") or {}
        name = (obj.get("metadata") or {}).get("name")
        for field, low, text in (("leaseDurationSeconds", 1, "must be greater than 0"),
                                 ("leaseTransitions", 0, "must be greater than or equal to 0")):
            value = spec.get(field)
            if value is not None and (not isinstance(value, int) or value < low):
                raise APIError(422, "Invalid", '%s "%s" is invalid: spec.%s: Invalid value: %s: %s'
                               % (resource.kind + "." + resource.group, name, field, json.dumps(value), text),
                               {"name": name, "group": resource.group, "kind": resource.kind,
                                "causes": [{"reason": "FieldValueInvalid", "field": "spec." + field,
                                            "message": "Invalid value: %s: %s" % (json.dumps(value), text)}]})

    def create(self, resource, namespace, document, query, user):
        store = self.store
        self.check_identity(resource, namespace, None, document)
        self.validate_lease(resource, document)
        meta = document.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise APIError(422, "Invalid", '%s "" is invalid: metadata.name: Required value: name or '
                           'generateName is required' % resource.kind,
                           {"kind": resource.kind, "causes": [{"reason": "FieldValueRequired",
                                                               "message": "Required value: name or generateName is required",
                                                               "field": "metadata.name"}]})
        self.authorize(user, "create", resource, namespace, name)
        with store.lock:
            self.require_namespace(resource, namespace)
            key = self.key(resource, namespace, name)
            if key in store.objects:
                raise APIError(409, "AlreadyExists", '%s "%s" already exists' % (resource.qualified, name),
                               {"name": name, "group": resource.group, "kind": resource.plural})
            obj = copy.deepcopy(document)
            meta = obj["metadata"]
            if resource.namespaced:
                meta["namespace"] = namespace
            for field in ("managedFields", "resourceVersion"):
                meta.pop(field, None)
            meta.update({"uid": str(uuid.uuid4()), "creationTimestamp": now_iso()})
            if resource.kind in GENERATION_KINDS:
                meta["generation"] = 1
            if resource.status and resource.kind != "Namespace":
                obj.pop("status", None)
            apply_defaults(resource, obj)
            manager = query.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]
            if query.get("dryRun") != "All":
                meta["resourceVersion"] = store.next_rv()
                store.objects[key] = obj
                store.managers[key] = {update_key(manager): {"operation": "Update", "apiVersion": resource.api_version,
                                                             "time": now_iso(), "paths": leaf_paths(document),
                                                             "name": manager}}
            return 201, output(store, key, obj) if query.get("dryRun") != "All" else obj

    def update(self, resource, namespace, name, document, query, user):
        store = self.store
        self.check_identity(resource, namespace, name, document)
        with store.lock:
            key = self.key(resource, namespace, name)
            old = store.objects.get(key)
            if old is None:
                raise self.not_found(resource, name)
            given = (document.get("metadata") or {}).get("resourceVersion")
            if given and given != old["metadata"]["resourceVersion"]:
                raise self.conflict(resource, name)
            self.validate_lease(resource, document)
            obj = copy.deepcopy(document)
            meta = obj["metadata"]
            meta.pop("managedFields", None)
            for field in ("uid", "creationTimestamp", "generation"):
                if field in old["metadata"]:
                    meta[field] = old["metadata"][field]
            if resource.namespaced:
                meta["namespace"] = namespace
            if resource.status:
                obj["status"] = copy.deepcopy(old.get("status"))
                if obj["status"] is None:
                    obj.pop("status")
            apply_defaults(resource, obj)
            if content_changed(old, obj) and "generation" in meta:
                meta["generation"] = (old["metadata"].get("generation") or 1) + 1
            manager = query.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]
            if query.get("dryRun") == "All":
                meta["resourceVersion"] = old["metadata"]["resourceVersion"]
                return 200, obj
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            if obj != old:
                meta["resourceVersion"] = store.next_rv()
            record_update(store.managers.setdefault(key, {}), manager, resource.api_version, old, obj)
            self.keep_deletion(old, obj)
            if self.finalized(obj):
                result = output(store, key, obj)
                store.remove(key)
                store.collect_garbage()
                return 200, result
            store.objects[key] = obj
            return 200, output(store, key, obj)

    def patch(self, resource, namespace, name, body, content_type, query, user):
        """A JSON Patch (RFC 6902) or JSON Merge Patch (RFC 7386): an Update of the object, as the
        API server's jsonPatcher does it (apiserver endpoints/handlers/patch.go): the patch is
        applied to the current object as the API returns it, then stored as an update, so a
        resourceVersion the patch leaves in place is the current one. A failing operation (a
        `test` whose value differs) is 422 Invalid with the server's generic message, more than
        10,000 operations is 413, a body that is not a patch is 400, and a missing object is 404."""
        store = self.store
        try:
            patch = json.loads(body or b"null")
        except ValueError as error:
            raise APIError(400, "BadRequest", "error decoding patch: %s" % error)
        if content_type == "application/json-patch+json":
            if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
                raise APIError(400, "BadRequest", "json: cannot unmarshal %s into Go value of type jsonpatch.Patch"
                               % type(patch).__name__)
            if len(patch) > MAX_JSON_PATCH_OPERATIONS:
                raise APIError(413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum operations in "
                               "a JSON patch is %d, got %d" % (MAX_JSON_PATCH_OPERATIONS, len(patch)))
        elif not isinstance(patch, dict):
            raise APIError(400, "BadRequest", "error decoding patch: the patch must be a JSON object")
        with store.lock:
            key = self.key(resource, namespace, name)
            old = store.objects.get(key)
            if old is None:
                raise self.not_found(resource, name)
            current = output(store, key, old)
            try:
                patched = json_patch(current, patch) if isinstance(patch, list) else merge_patch(current, patch)
            except PatchFailed:
                # NewGenericServerResponse(422, ...) without a resource or causes: the reason of the
                # failure stays on the server.
                raise APIError(422, "Invalid", "the server rejected our request due to an error in our request", {})
            if not isinstance(patched, dict):
                raise APIError(422, "Invalid", "the server rejected our request due to an error in our request", {})
            # managedFields the patch leaves as they were are the server's to maintain.
            (patched.get("metadata") or {}).pop("managedFields", None)
            return self.update(resource, namespace, name, patched, query, user)

    def keep_deletion(self, old, new):
        """An object being deleted stays marked, and may lose finalizers but not gain any
        (the real validation: "no new finalizers can be added if the object is being deleted")."""
        old_meta, new_meta = old["metadata"], new.setdefault("metadata", {})
        if "deletionTimestamp" not in old_meta:
            return
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            new_meta[field] = old_meta[field]
        added = [f for f in new_meta.get("finalizers") or [] if f not in (old_meta.get("finalizers") or [])]
        if added:
            raise APIError(422, "Invalid", '%s "%s" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
                           'added if the object is being deleted, found new finalizers %s'
                           % (new.get("kind"), new_meta.get("name"), json.dumps(added)),
                           {"name": new_meta.get("name"), "kind": new.get("kind"),
                            "causes": [{"reason": "FieldValueForbidden", "field": "metadata.finalizers",
                                        "message": "Forbidden: no new finalizers can be added if the object is being deleted"}]})

    def finalized(self, obj):
        meta = obj.get("metadata") or {}
        return "deletionTimestamp" in meta and not meta.get("finalizers")

    def conflict(self, resource, name):
        return APIError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                        'please apply your changes to the latest version and try again' % (resource.qualified, name),
                        {"name": name, "group": resource.group, "kind": resource.plural})

    def delete(self, resource, namespace, name, query, body):
        store = self.store
        policy = query.get("propagationPolicy")
        if policy is None and body:
            options = self.parse_body(body)
            policy = options.get("propagationPolicy")
        if policy is not None and policy not in PROPAGATION_POLICIES:
            raise APIError(422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                           '"%s": supported values: "Foreground", "Background", "Orphan", "nil"' % policy,
                           {"group": "meta.k8s.io", "kind": "DeleteOptions",
                            "causes": [{"reason": "FieldValueNotSupported", "field": "propagationPolicy",
                                        "message": 'Unsupported value: "%s"' % policy}]})
        with store.lock:
            key = self.key(resource, namespace, name)
            obj = store.objects.get(key)
            if obj is None:
                raise self.not_found(resource, name)
            # Finalizers hold the object: it is marked for deletion and stays until they are gone.
            marked = store.delete_object(key, resource.kind, policy)
            result = output(store, key, marked) if marked is not None else None
            store.collect_garbage()
            if result is not None:
                return 200, result
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": name, "group": resource.group, "kind": resource.plural,
                                     "uid": obj["metadata"]["uid"]}}

    def apply(self, resource, namespace, name, config, query):
        store = self.store
        manager = query.get("fieldManager")
        if not manager:
            raise APIError(400, "BadRequest", "PATCH %s: fieldManager is required for apply requests" % self.path)
        self.check_identity(resource, namespace, name, config)
        meta_in = config.get("metadata") or {}
        if meta_in.get("managedFields"):
            raise APIError(400, "BadRequest", "metadata.managedFields must be nil")
        force = query.get("force") == "true"
        dry_run = query.get("dryRun") == "All"
        with store.lock:
            self.require_namespace(resource, namespace)
            key = self.key(resource, namespace, name)
            old = store.objects.get(key)
            given_rv = meta_in.get("resourceVersion")
            if old is not None and given_rv and given_rv != old["metadata"]["resourceVersion"]:
                raise self.conflict(resource, name)
            if old is None and given_rv:
                raise self.not_found(resource, name)
            managers = copy.deepcopy(store.managers.get(key, {}))
            new_paths = leaf_paths(config)
            if resource.status and resource.kind != "Namespace":
                new_paths = {p for p in new_paths if p[0] != "status"}
            live = copy.deepcopy(old) if old is not None else {
                "apiVersion": resource.api_version, "kind": resource.kind,
                "metadata": {"name": name, "uid": str(uuid.uuid4()), "creationTimestamp": now_iso()}}
            if resource.kind in GENERATION_KINDS and old is None:
                live["metadata"]["generation"] = 1
            if resource.namespaced:
                live["metadata"]["namespace"] = namespace
            # Ownership follows structured-merge-diff (merge/update.go, Updater.Apply and update):
            # a conflict is a field another manager owns whose value this apply changes; force
            # moves only those fields to the applier. A field applied with the value it already
            # has is shared: its other owners keep it (Kubernetes docs, Server-Side Apply, "Field
            # management": "If two or more appliers set a field to the same value, they share
            # ownership of that field"), with or without force, and an apply that later leaves it
            # out only gives up the applier's own claim.
            conflicts, transferred = [], []
            for other, info in sorted(managers.items()):
                if other == manager:
                    continue
                for path in sorted(new_paths & info["paths"]):
                    if get_path(live, path) != get_path(config, path):
                        conflicts.append((info.get("name", other), info["apiVersion"], path))
                        transferred.append((other, path))
            if conflicts and not force:
                raise self.apply_conflict(conflicts)
            for other, path in transferred:
                managers[other]["paths"].discard(path)
            previous = managers.get(manager, {}).get("paths", set())
            owned_by_others = set().union(*[i["paths"] for m, i in managers.items() if m != manager]) if managers else set()
            for path in previous - new_paths:
                if path not in owned_by_others:
                    remove_path(live, path)
            for path in new_paths:
                value, _ = get_path(config, path)
                set_path(live, path, value)
            apply_defaults(resource, live)
            managers[manager] = {"operation": "Apply", "apiVersion": resource.api_version, "time": now_iso(),
                                 "paths": new_paths}
            managers = {m: i for m, i in managers.items() if i["paths"]}
            if old is not None and content_changed(old, live) and "generation" in live["metadata"]:
                live["metadata"]["generation"] = (old["metadata"].get("generation") or 1) + 1
            old_sets = {m: i["paths"] for m, i in store.managers.get(key, {}).items() if i["paths"]}
            new_sets = {m: i["paths"] for m, i in managers.items()}
            unchanged = old is not None and old == live and old_sets == new_sets
            if dry_run:
                if old is None:
                    live["metadata"].pop("resourceVersion", None)
                return (200 if old is not None else 201), self.render(live, managers)
            if unchanged:
                return 200, output(store, key, old)
            live["metadata"]["resourceVersion"] = store.next_rv()
            for m, info in managers.items():
                if m in store.managers.get(key, {}) and info["paths"] == store.managers[key][m]["paths"]:
                    info["time"] = store.managers[key][m]["time"]
            if old is not None:
                self.keep_deletion(old, live)
                if self.finalized(live):
                    store.managers[key] = managers
                    result = output(store, key, live)
                    store.remove(key)
                    store.collect_garbage()
                    return 200, result
            store.objects[key] = live
            store.managers[key] = managers
            return (200 if old is not None else 201), output(store, key, live)

    def render(self, obj, managers):
        fake = Store.__new__(Store)
        fake.managers = {"k": managers}
        return output(fake, "k", obj)

    def apply_conflict(self, conflicts):
        causes = [{"reason": "FieldManagerConflict", "message": 'conflict with "%s" using %s' % (m, v),
                   "field": dotted(p)} for m, v, p in conflicts]
        if len(conflicts) == 1:
            m, v, p = conflicts[0]
            message = 'Apply failed with 1 conflict: conflict with "%s" using %s: %s' % (m, v, dotted(p))
        else:
            lines = "\n".join('conflict with "%s" using %s: %s' % (m, v, dotted(p)) for m, v, p in conflicts)
            message = "Apply failed with %d conflicts: %s" % (len(conflicts), lines)
        return APIError(409, "Conflict", message, {"causes": causes})


# ---- the service proxy (/api/v1/namespaces/<ns>/services/<[scheme:]name[:port]>/proxy/<path>) ----
# As the API server's service REST storage does it (pkg/registry/core/service/storage, ResourceLocation):
# the id is `name`, `name:port` or `scheme:name:port` (else 400 "invalid service request"); a port
# *number* is looked up in the Service's ports for its name (a missing Service is 404, a number it
# does not have 503 "no service port N found for service"); then the Service's endpoints are
# looked up by name: none (no Service, so no Endpoints object) is 404 `endpoints "<name>" not
# found`, no ready backend 503 "no endpoints available for service". The request (method, the path
# after /proxy, query, body) goes to the backend and its status, Content-Type and body come back
# unchanged. Authorization is the verb of the method on the `services/proxy` subresource.
# Backends stand for the endpoints: a test registers one per (namespace, service, port name) with
# the control `service-proxy` {"namespace", "service", "port", "url"} ("url": null removes it);
# `service-proxy-rbac` {"forbiddenUsers": [...]} refuses those users `services/proxy` (as a
# ClusterRole without that rule would).

class ServiceProxyState:
    def __init__(self):
        self.lock = threading.Lock()
        self.backends = {}  # (namespace, service, port name) -> base URL
        self.forbidden_users = set()


SERVICE_PROXY = ServiceProxyState()
SERVICE_PROXY_MAX_BODY = 256 << 20  # bounds the fake's memory only; the real server streams any size
SERVICE_PROXY_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def service_proxy_parts(path):
    """(namespace, id, rest of the path) of a service proxy path, else None."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if len(parts) >= 7 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "services" and parts[6] == "proxy":
        prefix = "/" + "/".join(path.strip("/").split("/")[:7])
        rest = path[len(prefix):] if path.startswith(prefix) else "/"
        return parts[3], parts[5], rest or "/"
    return None


def split_scheme_name_port(service_id):
    """utilnet.SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` (scheme http or https)."""
    pieces = service_id.split(":")
    if len(pieces) == 1:
        scheme, name, port = "", pieces[0], ""
    elif len(pieces) == 2:
        scheme, name, port = "", pieces[0], pieces[1]
    elif len(pieces) == 3:
        scheme, name, port = pieces
    else:
        return None
    if not name or scheme not in ("", "http", "https"):
        return None
    return scheme, name, port


def service_proxy_control(handler, name, args):
    with SERVICE_PROXY.lock:
        if name == "service-proxy":
            key = (args["namespace"], args["service"], args.get("port", ""))
            if args.get("url"):
                SERVICE_PROXY.backends[key] = args["url"].rstrip("/")
            else:
                SERVICE_PROXY.backends.pop(key, None)
        elif name == "service-proxy-rbac":
            SERVICE_PROXY.forbidden_users = set(args.get("forbiddenUsers", []))
        else:
            return handler.send_json(404, {"error": "unknown control " + name})
    handler.send_json(200, {"ok": True})


def service_proxy(handler, namespace, service_id, rest, query, body, user):
    store = handler.store
    verb = SERVICE_PROXY_VERBS.get(handler.command, "get")
    services = store.find("", "v1", "services")
    handler.authorize(user, verb, services, namespace, service_id)
    with SERVICE_PROXY.lock:
        forbidden = user in SERVICE_PROXY.forbidden_users
    if forbidden:
        raise APIError(403, "Forbidden", 'services "%s" is forbidden: User "%s" cannot %s resource "services/proxy" in API group "" in the namespace "%s"'
                       % (service_id, user, verb, namespace), {"name": service_id, "kind": "services"})
    split = split_scheme_name_port(service_id)
    if split is None:
        raise APIError(400, "BadRequest", 'invalid service request "%s"' % service_id)
    _, name, port = split
    with store.lock:
        svc = store.objects.get(("", "services", namespace, name))
        svc = copy.deepcopy(svc) if svc else None
    if port.isdigit():
        if svc is None:
            raise APIError(404, "NotFound", 'services "%s" not found' % name, {"name": name, "kind": "services"})
        named = [p.get("name", "") for p in (svc.get("spec") or {}).get("ports") or [] if str(p.get("port")) == port]
        if not named:
            raise APIError(503, "ServiceUnavailable", 'no service port %s found for service "%s"' % (port, name))
        port = named[0]
    if svc is None:  # the endpoints controller keeps an Endpoints object for every Service
        raise APIError(404, "NotFound", 'endpoints "%s" not found' % name, {"name": name, "kind": "endpoints"})
    with SERVICE_PROXY.lock:
        backends = {k: v for k, v in SERVICE_PROXY.backends.items() if k[0] == namespace and k[1] == name}
    if not backends:
        raise APIError(503, "ServiceUnavailable", 'no endpoints available for service "%s"' % name)
    backend = backends.get((namespace, name, port))
    if backend is None:
        raise APIError(503, "ServiceUnavailable", 'no endpoints available for service "%s"' % service_id)
    forward_to_backend(handler, backend, rest, query, body)


def forward_to_backend(handler, backend, rest, query, body):
    import http.client
    target = urlsplit(backend)
    path = (target.path.rstrip("/") + rest) or "/"
    if query:
        path += "?" + query
    connection_type = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(target.hostname, target.port, timeout=30)
    try:
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("content-type", "accept")}
        try:
            connection.request(handler.command, path, body=body or None, headers=headers)
            answer = connection.getresponse()
        except OSError as error:
            raise APIError(503, "ServiceUnavailable", "error trying to reach service: %s" % error)
        length = answer.getheader("Content-Length")
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.getheader("Content-Type") or "application/octet-stream")
        if length is not None and length.isdigit() and int(length) <= SERVICE_PROXY_MAX_BODY:
            handler.send_header("Content-Length", length)
            handler.end_headers()
            remaining = int(length)
            try:
                while remaining > 0:
                    chunk = answer.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    handler.wfile.write(chunk)
                    remaining -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True  # the client stopped reading (its size limit)
        else:
            data = answer.read(SERVICE_PROXY_MAX_BODY)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            try:
                handler.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True
    finally:
        connection.close()


def exit_with_parent():
    """Ends this server when the test process that started it is gone (even after a crash or
    kill -9, when no deinit runs), so no fake outlives its tests."""
    parent = os.getppid()
    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def serve(port, config_path):
    exit_with_parent()
    with open(config_path) as f:
        config = json.load(f)
    Handler.store = Store(config)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    tls = config.get("tls")
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls["cert"], tls["key"])
        if tls.get("clientCA"):
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(tls["clientCA"])
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()


def control(url, method, body):
    import urllib.request
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, data=body.encode() if body else None, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        sys.stdout.write(response.read().decode())


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        control(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
