import CYAML
import SluiceCore

/// Builds `Value` trees from libyaml's event stream (`yaml_parser_parse`).
///
/// The event API is used instead of libyaml's document API so that locations, limits and
/// alias accounting are handled while reading, and no intermediate node tree is allocated.
struct YAMLTreeBuilder {
    /// A node an anchor names, and how many nodes it stands for once aliases inside it are
    /// expanded; an alias adds that count without copying anything.
    private struct Anchored {
        var value: Value
        var expandedCount: Int
        /// Levels of nested collections in the node (0 for a scalar), so an alias cannot
        /// build a tree deeper than `maxDepth`.
        var depth: Int
    }

    /// What a map expects next. A key is pushed onto `entries` as soon as it is read, with a
    /// null placeholder that its value replaces in place: the key's `String` is never copied into
    /// the frame and out again (each copy was a retain and a release in the hottest loop).
    enum Expecting {
        case key
        case value
        /// The value of a `<<` key, written at `mergeLocation`.
        case mergeValue
    }

    /// `<<` entries of a map: the maps to merge, and where among the explicit entries they sat.
    fileprivate struct MergeSlot {
        var position: Int
        var maps: [Mapping]
    }

    /// A map or list that has started and not yet ended.
    struct Frame {
        var isMap: Bool
        var location: NodeLocation
        var anchor: String?
        var nodeCountAtStart: Int
        /// Where the children start in `items` (a list) or `entries` (a map).
        var start: Int
        /// The deepest nesting among the children so far.
        var childDepth = 0
        var expecting: Expecting = .key
        var mergeLocation = NodeLocation(file: 0, line: 0, column: 0)
        /// Whether `mergesByLevel` has this frame's merges. Merges and the key index of large maps
        /// are rare, so they live beside the frames: a frame without references is copied,
        /// pushed and popped without a retain or release.
        var hasMerges = false
        var hasKeyIndex = false

        var awaitingKey: Bool { isMap && expecting == .key }

        /// The finished map: explicit entries, with merged entries at the place of their `<<`
        /// unless an explicit key or an earlier merged map already has the key.
        fileprivate static func mapping(_ entries: [Mapping.Entry], merges: [MergeSlot]) -> Mapping {
            var taken = Set(entries.map(\.key))
            var out: [Mapping.Entry] = []
            out.reserveCapacity(entries.count)
            var slot = 0
            for i in 0...entries.count {
                while slot < merges.count, merges[slot].position == i {
                    for map in merges[slot].maps {
                        for e in map.entries where !taken.contains(e.key) {
                            taken.insert(e.key)
                            out.append(e)
                        }
                    }
                    slot += 1
                }
                if i < entries.count { out.append(entries[i]) }
            }
            return Mapping(out)
        }
    }

    private let origin: Origin
    private let limits: YAMLLimits
    private let keys: KeyInterner
    /// The maps and lists being read, outermost first: a pooled stack, read and changed in place
    /// (an array of frames was allocated per parse and checked for uniqueness on every change).
    private let frames: ChildStack<Frame>
    /// `<<` entries of the maps being read, by frame index.
    private var mergesByLevel: [Int: [MergeSlot]] = [:]
    /// Key -> entry index of the large maps being read, by frame index: a linear duplicate
    /// check would make hostile input quadratic.
    private var keyIndexByLevel: [Int: [String: Int]] = [:]
    private let scratch: ParseScratch
    private let items: ChildStack<Value>
    private let entries: ChildStack<Mapping.Entry>
    /// `KeyFingerprint` of each key in `entries`, at the same index.
    private let fingerprints: ChildStack<UInt64>
    private var anchors: [String: Anchored] = [:]
    private var nodeCount = 0
    private var aliasCount = 0
    private var root: Value?
    private var rootIsEmpty = false
    private(set) var documents: [Value] = []

    /// A builder for `file`, reading keys through `keys`, or through the pooled interner of the
    /// stacks it takes when `keys` is nil.
    init(file: String, limits: YAMLLimits, keys: KeyInterner? = nil) {
        // Through a local: reading `self.scratch` before every property was set made the
        // optimiser build the builder twice and copy it, eleven retains and releases per file.
        let scratch = ParseScratch.take()
        self.origin = Origin(file: file)
        self.limits = limits
        self.scratch = scratch
        self.keys = keys ?? scratch.keys
        items = scratch.items
        entries = scratch.entries
        fingerprints = scratch.fingerprints
        frames = scratch.frames
    }

    /// Parses every document in `bytes`. Call once: the builder's stacks go back to the pool
    /// when it returns or throws.
    mutating func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        defer { ParseScratch.giveBack(scratch) }
        guard let base = input.baseAddress, input.count > 0 else { return }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            throw YAMLError(at: nil, "cannot start the YAML parser (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, base, input.count)
        var event = yaml_event_t()
        // Bounded: libyaml consumes input with every event and ends with STREAM_END or an error.
        while true {
            guard yaml_parser_parse(&parser, &event) != 0 else {
                throw Self.syntaxError(parser, input: input, file: origin.file)
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { break }
            try handle(&event)
        }
    }

    @inline(__always) private mutating func handle(_ event: inout yaml_event_t) throws {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors.removeAll(keepingCapacity: true)
            root = nil
            rootIsEmpty = false
        case YAML_DOCUMENT_END_EVENT:
            if let root, !rootIsEmpty { documents.append(root) }
            root = nil
        case YAML_SCALAR_EVENT:
            let top = frames.count - 1
            if top >= 0, frames[top].awaitingKey {
                try key(&event, top: top)
            } else {
                try scalar(&event)
            }
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try startCollection(isMap: false, anchor: data.anchor, tag: data.tag, mark: event.start_mark)
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try startCollection(isMap: true, anchor: data.anchor, tag: data.tag, mark: event.start_mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try endCollection()
        case YAML_ALIAS_EVENT:
            try alias(name: String(cString: event.data.alias.anchor), mark: event.start_mark)
        default:
            break
        }
    }

    // MARK: - Nodes

    /// The file being read, as its nodes and its errors name it. The builder's non-mutating
    /// helpers go through this small value: calling a method of the whole builder from one of its
    /// mutating methods copied all 200 bytes of it first, three times per scalar.
    private struct Origin {
        let file: String
        let fileID: UInt32

        init(file: String) {
            self.file = file
            fileID = SourceFileNames.id(of: file)
        }

        @inline(__always) func location(_ mark: yaml_mark_t) -> NodeLocation {
            NodeLocation(fileID: fileID, zeroBasedLine: mark.line, column: mark.column)
        }

        /// The full location of a node of this file, for an error.
        func source(_ location: NodeLocation) -> SourceLocation {
            SourceLocation(file: file, line: Int(location.line), column: Int(location.column))
        }
    }

    private func source(_ location: NodeLocation) -> SourceLocation { origin.source(location) }

    @inline(__always) private mutating func countNodes(_ n: Int, at loc: NodeLocation) throws {
        nodeCount += n
        if nodeCount > limits.maxNodes { throw tooManyNodes(at: loc) }
    }

    private func tooManyNodes(at loc: NodeLocation) -> YAMLError {
        YAMLError(
            at: source(loc), "the document expands to more than \(limits.maxNodes) nodes",
            hint: "aliases count once per use; a small file that expands this far is an alias bomb ('billion laughs'). "
                + "Write the data out or split it into smaller documents")
    }

    /// A scalar that is not a map's key: a value, a list's item or a document.
    private mutating func scalar(_ event: inout yaml_event_t) throws {
        let data = event.data.scalar
        let loc = origin.location(event.start_mark)
        let text = UnsafeBufferPointer(start: data.value, count: data.length)
        let plain = data.style == YAML_PLAIN_SCALAR_STYLE
        if frames.isEmpty, data.length == 0, plain, data.tag == nil, data.anchor == nil {
            // An empty document, such as a trailing `---`: skipped.
            root = .null
            rootIsEmpty = true
            return
        }
        try countNodes(1, at: loc)
        let value: Value
        if data.tag == nil {
            let resolved: ResolvedScalar = plain ? ScalarResolver.resolvePlain(text) : .string
            if case .string = resolved, text.count <= KeyInterner.longestStored {
                value = Value(.string(keys.value(text)), at: loc)
            } else {
                value = Value(Self.kind(resolved, text), at: loc)
            }
        } else {
            value = Value(try Self.resolve(text, tag: data.tag, plain: plain, at: loc, in: origin), at: loc)
        }
        if let anchor = data.anchor { remember(value, as: anchor) }
        try deliver(value, depth: 0)
    }

    /// Records a scalar under its anchor. The anchor's name becomes a `String` only here: most
    /// scalars have none, and one held through `scalar` cost two releases per node.
    private mutating func remember(_ value: Value, as anchor: UnsafeMutablePointer<yaml_char_t>) {
        anchors[String(cString: anchor)] = Anchored(value: value, expandedCount: 1, depth: 0)
    }

    /// A scalar in the key position of the map at `top`. The common key, an untagged string,
    /// goes straight from libyaml's bytes to the map's entry: no `Value` is made for it, and its
    /// bytes give the fingerprint the duplicate check compares first. Keys and values are read
    /// by separate functions, each called from `handle`: one call per scalar, with no inlining
    /// to rely on (a multi-threaded whole-module build left a shared helper a call).
    private mutating func key(_ event: inout yaml_event_t, top: Int) throws {
        let data = event.data.scalar
        let loc = origin.location(event.start_mark)
        let text = UnsafeBufferPointer(start: data.value, count: data.length)
        try countNodes(1, at: loc)
        let kind: Value.Kind
        if data.tag == nil {
            let resolved: ResolvedScalar = data.style == YAML_PLAIN_SCALAR_STYLE ? ScalarResolver.resolvePlain(text) : .string
            switch resolved {
            case .string:
                // Keys repeat across maps (and files), so they are read through the interner.
                let key: String
                let fingerprint: UInt64
                if text.count <= PackedText.maxCount {
                    let packed = PackedText(text)
                    let hash = packed.hash
                    key = keys.shortKey(packed, hash: hash, text)
                    fingerprint = KeyFingerprint.of(packed, hash: hash)
                } else {
                    let (hash, ascii) = KeyFingerprint.hashAndASCII(text)
                    key = keys.key(text, hash: hash)
                    fingerprint = KeyFingerprint.ofLong(hash: hash, ascii: ascii)
                }
                if let anchor = data.anchor { remember(Value(.string(key), at: loc), as: anchor) }
                try setKey(key, fingerprint: fingerprint, at: loc.isNone ? frames[top].location : loc, top: top)
                return
            case .merge:
                // A plain `<<`: its value is merged into this map.
                frames[top].expecting = .mergeValue
                frames[top].mergeLocation = loc
                return
            default:
                kind = Self.kind(resolved, text)
            }
        } else {
            kind = try Self.resolve(text, tag: data.tag, plain: data.style == YAML_PLAIN_SCALAR_STYLE, at: loc, in: origin)
        }
        let value = Value(kind, at: loc)
        if let anchor = data.anchor { remember(value, as: anchor) }
        try deliver(value, depth: 0)
    }

    private mutating func startCollection(
        isMap: Bool, anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
        mark: yaml_mark_t
    ) throws {
        let loc = origin.location(mark)
        if frames.count >= limits.maxDepth {
            throw YAMLError(
                at: source(loc), "maps and lists are nested more than \(limits.maxDepth) levels deep",
                hint: "flatten the structure; no Kubernetes object needs this depth")
        }
        if !frames.isEmpty, frames[frames.count - 1].awaitingKey {
            throw YAMLError(
                at: source(loc), "a map key must be a string, number or boolean, not a \(isMap ? "map" : "list")",
                hint: "Kubernetes objects only have string keys")
        }
        if let tag {
            let name = String(cString: tag)
            let wrong = isMap ? Tag.seq : Tag.map
            if name == wrong {
                throw YAMLError(
                    at: source(loc), "a \(Tag.short(name)) tag on a \(isMap ? "map" : "list")",
                    hint: "remove the tag or change the node")
            }
        }
        let start = nodeCount
        try countNodes(1, at: loc)
        frames.push(
            Frame(isMap: isMap, location: loc, anchor: anchor.map { String(cString: $0) }, nodeCountAtStart: start,
                  start: isMap ? entries.count : items.count))
    }

    private mutating func endCollection() throws {
        let frame = frames.popLast()
        let level = frames.count
        if frame.hasKeyIndex { keyIndexByLevel[level] = nil }
        let value: Value
        if frame.isMap {
            fingerprints.truncate(to: frame.start)
            let children = entries.pop(from: frame.start)
            let map: Mapping
            if frame.hasMerges, let merges = mergesByLevel.removeValue(forKey: level) {
                map = Frame.mapping(children, merges: merges)
            } else {
                map = Mapping(children)
            }
            value = Value(.map(map), at: frame.location)
        } else {
            value = Value(.list(items.pop(from: frame.start)), at: frame.location)
        }
        let depth = frame.childDepth + 1
        if let anchor = frame.anchor {
            anchors[anchor] = Anchored(value: value, expandedCount: nodeCount - frame.nodeCountAtStart, depth: depth)
        }
        try deliver(value, depth: depth)
    }

    private mutating func alias(name: String, mark: yaml_mark_t) throws {
        let loc = origin.location(mark)
        guard let anchored = anchors[name] else {
            throw YAMLError(
                at: source(loc), "unknown alias *\(name)",
                hint: "define the anchor &\(name) before this alias, in the same document (an anchor cannot refer to itself)")
        }
        aliasCount += 1
        if let maxAliases = limits.maxAliases, aliasCount > maxAliases {
            throw YAMLError(
                at: source(loc), "more than \(maxAliases) aliases", hint: "write the data out instead of repeating aliases")
        }
        try countNodes(anchored.expandedCount, at: loc)
        if frames.count + anchored.depth > limits.maxDepth {
            throw YAMLError(
                at: source(loc), "the alias *\(name) nests maps and lists more than \(limits.maxDepth) levels deep",
                hint: "flatten the structure or write the data out instead of nesting aliases")
        }
        var value = anchored.value
        value.nodeLocation = loc
        try deliver(value, depth: anchored.depth)
    }

    /// Hands a finished node to its parent: the document, a list, or a map (as key or value).
    @inline(__always) private mutating func deliver(_ value: consuming Value, depth: Int) throws {
        guard !frames.isEmpty else {
            root = value
            return
        }
        let top = frames.count - 1
        if depth > frames[top].childDepth { frames[top].childDepth = depth }
        // The two common cases inline: a list's item and a map's value.
        if !frames[top].isMap {
            items.push(value)
        } else if frames[top].expecting == .value {
            entries.setValueOfTop(value)
            frames[top].expecting = .key
        } else {
            try deliverKeyOrMerge(value, top: top)
        }
    }

    /// A node in a map's key position (a key that is not a plain string, or an alias), or the
    /// value of a `<<`: the map at `top` expects a key or a merge, never a value here.
    private mutating func deliverKeyOrMerge(_ value: consuming Value, top: Int) throws {
        if frames[top].expecting == .mergeValue {
            try merge(value, at: frames[top].mergeLocation, top: top)
            frames[top].expecting = .key
            return
        }
        guard let key = MapKeyText.text(of: value.kind) else {
            let loc = value.nodeLocation
            if value.isNull {
                throw YAMLError(at: source(loc), "a map key cannot be null", hint: "quote the key if it is meant as text")
            }
            throw YAMLError(
                at: source(loc), "a map key must be a string, number or boolean, not a \(value.typeName)",
                hint: "Kubernetes objects only have string keys")
        }
        try setKey(key, fingerprint: KeyFingerprint.of(key), at: value.nodeLocation.isNone ? frames[top].location : value.nodeLocation, top: top)
    }

    /// Checks `key` is new in the map at `top` and pushes its entry, whose value comes next.
    /// Inlined into both callers; what is rare (a large map's index, a duplicate) is a call.
    @inline(__always) private mutating func setKey(_ key: consuming String, fingerprint: UInt64, at loc: NodeLocation, top: Int) throws {
        let start = frames[top].start
        if entries.count - start < 16 {
            // Keys whose fingerprints differ cannot be equal; only a match is compared as text.
            let prints = fingerprints.elements(from: start)
            for i in prints.indices where KeyFingerprint.mayBeEqual(prints[i], fingerprint) && entries.key(at: start + i) == key {
                throw Self.duplicateKey(key, at: loc, first: entries.keyLocation(at: start + i), in: origin)
            }
        } else if let first = locationOfKeyInLargeMap(key, top: top) {
            throw Self.duplicateKey(key, at: loc, first: first, in: origin)
        }
        entries.push(Mapping.Entry(key: key, value: Value(.null, at: loc), keyLocation: loc))
        fingerprints.push(fingerprint)
        frames[top].expecting = .value
    }

    @inline(never) private static func duplicateKey(_ key: String, at loc: NodeLocation, first: NodeLocation, in origin: Origin) -> YAMLError {
        YAMLError(
            at: origin.source(loc), "duplicate key \"\(key)\" (first written at line \(first.line), column \(first.column))",
            hint: "remove one of the two; YAML tools disagree on which one wins")
    }

    /// Where `key` was first written in the map at `top`, a map of 16 keys or more: a linear
    /// duplicate check would make hostile input quadratic, so such maps keep an index.
    @inline(never) private mutating func locationOfKeyInLargeMap(_ key: String, top: Int) -> NodeLocation? {
        let start = frames[top].start
        let count = entries.count - start
        frames[top].hasKeyIndex = true
        var keyIndex = keyIndexByLevel.removeValue(forKey: top) ?? [:]
        defer { keyIndexByLevel[top] = keyIndex }
        if keyIndex.count < count {
            for i in keyIndex.count..<count { keyIndex[entries.key(at: start + i)] = i }
        }
        return keyIndex[key].map { entries.keyLocation(at: start + $0) }
    }

    private mutating func merge(_ value: Value, at loc: NodeLocation, top: Int) throws {
        let hint = "the value of << must be a map or a list of maps, usually aliases such as *defaults"
        var maps: [Mapping] = []
        switch value.kind {
        case .map(let m):
            maps = [m]
        case .list(let items):
            for item in items {
                guard case .map(let m) = item.kind else {
                    throw YAMLError(at: item.location ?? source(loc), "cannot merge a \(item.typeName) into a map", hint: hint)
                }
                maps.append(m)
            }
        default:
            throw YAMLError(at: value.location ?? source(loc), "cannot merge a \(value.typeName) into a map", hint: hint)
        }
        frames[top].hasMerges = true
        mergesByLevel[top, default: []].append(MergeSlot(position: entries.count - frames[top].start, maps: maps))
    }

    // MARK: - Scalars

    /// Names of the core tags as libyaml expands `!!x`.
    enum Tag {
        static let prefix = "tag:yaml.org,2002:"
        static let str = prefix + "str"
        static let null = prefix + "null"
        static let bool = prefix + "bool"
        static let int = prefix + "int"
        static let float = prefix + "float"
        static let map = prefix + "map"
        static let seq = prefix + "seq"

        static func short(_ tag: String) -> String {
            tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
        }
    }

    private static func resolve(
        _ text: UnsafeBufferPointer<UInt8>, tag: UnsafeMutablePointer<yaml_char_t>?, plain: Bool, at loc: NodeLocation,
        in origin: Origin
    ) throws -> Value.Kind {
        guard let tag else {
            return plain ? Self.kind(ScalarResolver.resolvePlain(text), text) : .string(Self.string(text))
        }
        let name = String(cString: tag)
        let resolved = ScalarResolver.resolvePlain(text)
        switch name {
        case Tag.null:
            if case .null = resolved { return .null }
        case Tag.bool:
            if case .bool(let b) = resolved { return .bool(b) }
        case Tag.int:
            if case .int(let i) = resolved { return .int(i) }
        case Tag.float:
            if case .double(let d) = resolved { return .double(d) }
            if case .int(let i) = resolved { return .double(Double(i)) }
        case Tag.map, Tag.seq:
            throw YAMLError(
                at: origin.source(loc), "a \(Tag.short(name)) tag on a scalar", hint: "remove the tag or write a \(name == Tag.map ? "map" : "list")")
        default:
            // !!str, !!binary (kept as its base64 text), !!timestamp, `!` and custom tags: the text.
            return .string(Self.string(text))
        }
        let short = Tag.short(name)
        throw YAMLError(
            at: origin.source(loc), "cannot read \"\(Self.string(text))\" as \(short)",
            hint: "remove the \(short) tag or write a value of that type")
    }

    private static func kind(_ r: ResolvedScalar, _ text: UnsafeBufferPointer<UInt8>) -> Value.Kind {
        switch r {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .merge, .string: .string(string(text))
        }
    }

    @inline(__always) private static func string(_ text: UnsafeBufferPointer<UInt8>) -> String {
        UTF8Text.string(text)
    }

    // MARK: - Errors

    private static func syntaxError(_ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>, file: String) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(at: SourceLocation(file: file, line: 1, column: 1), "out of memory while parsing YAML")
        case YAML_READER_ERROR:
            let loc = locationOfOffset(min(parser.problem_offset, input.count), in: input, file: file)
            return YAMLError(
                at: loc, "cannot read the input: \(problem)", hint: "save the file as UTF-8 (or UTF-16 with a byte order mark)")
        default:
            let mark = parser.problem_mark
            let loc = SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
            var message = "YAML syntax error: \(problem)"
            if let context = parser.context {
                let c = parser.context_mark
                message += " (\(String(cString: context)) at line \(c.line + 1), column \(c.column + 1))"
            }
            return YAMLError(
                at: loc, message,
                hint: "check indentation (spaces only, no tabs), quoting and the ':' or '-' on this line and the one before")
        }
    }

    /// Line and column (in characters) of a byte offset, for reader errors that carry only an offset.
    private static func locationOfOffset(_ offset: Int, in input: UnsafeBufferPointer<UInt8>, file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for i in 0..<offset {
            let b = input[i]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}
