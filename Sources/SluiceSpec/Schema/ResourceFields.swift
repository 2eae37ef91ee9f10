import SluiceYAML

extension SchemaNode {
    /// The fields every Kubernetes resource has without its CRD declaring them: `apiVersion`, `kind`
    /// and `metadata` (ObjectMeta). They are added to the root of a CRD schema and to nodes marked
    /// `x-kubernetes-embedded-resource`, so that a typo such as `metadata.lables` is reported too.
    static let resourceFields: [String: Value] = [
        "apiVersion": ["type": "string"],
        "kind": ["type": "string"],
        "metadata": objectMeta,
    ]

    /// ObjectMeta as the API server accepts it. Server-set members are allowed (objects read back from a
    /// cluster carry them) but not checked in depth; names and labels are checked by Sluice's own rules.
    static let objectMeta: Value = [
        "type": "object",
        "properties": [
            "name": ["type": "string"],
            "generateName": ["type": "string"],
            "namespace": ["type": "string"],
            "labels": ["type": "object", "additionalProperties": ["type": "string"]],
            "annotations": ["type": "object", "additionalProperties": ["type": "string"]],
            "finalizers": ["type": "array", "items": ["type": "string"]],
            "ownerReferences": ["type": "array", "items": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
            "uid": ["type": "string"],
            "resourceVersion": ["type": "string"],
            "generation": ["type": "integer", "format": "int64"],
            "selfLink": ["type": "string"],
            "creationTimestamp": ["type": "string", "nullable": true],
            "deletionTimestamp": ["type": "string", "nullable": true],
            "deletionGracePeriodSeconds": ["type": "integer", "format": "int64"],
            "managedFields": ["type": "array", "items": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
        ],
    ]
}
