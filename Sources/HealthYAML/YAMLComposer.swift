import CYAML

/// Composes YAML text into one ``YAMLNode`` tree with libyaml's parser: anchors and
/// aliases resolved, merge keys (`<<`) merged, every node marked with its line and column.
///
/// Guarded against hostile input: an alias bomb ("billion laughs") is refused as soon as
/// the values it stands for pass ``Limits/maximumNodes`` (counted, never expanded), nesting
/// deeper than ``Limits/maximumDepth`` is refused, and so are duplicate keys, keys that are
/// not single values, aliases to unknown anchors and a second document.
public enum YAMLComposer {
    /// Bounds on what one document may expand to.
    public struct Limits: Sendable {
        /// The most values the document may hold with aliases expanded.
        public var maximumNodes: Int
        /// The deepest nesting of lists and mappings.
        public var maximumDepth: Int

        /// Bounds far above any real config and far below what hurts.
        public init(maximumNodes: Int = 100_000, maximumDepth: Int = 200) {
            self.maximumNodes = maximumNodes
            self.maximumDepth = maximumDepth
        }
    }

    /// The document in `text`, or `nil` when it holds none (empty, or only comments).
    public static func compose(_ text: String, limits: Limits = Limits()) throws(YAMLError) -> YAMLNode? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError(mark: nil, message: "libyaml could not allocate a parser")
        }
        defer { yaml_parser_delete(parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> YAMLNode? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var composition = Composition(limits: limits)
            let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
            defer { event.deallocate() }
            while true {
                guard yaml_parser_parse(parser, event) == 1 else { throw parseError(parser.pointee) }
                defer { yaml_event_delete(event) }
                if event.pointee.type == YAML_STREAM_END_EVENT { return composition.root }
                try composition.take(event.pointee)
            }
        }
    }

    /// libyaml's description of why it stopped, with its marks made 1-based.
    private static func parseError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "the parser stopped"
        if parser.error == YAML_READER_ERROR {
            return YAMLError(mark: nil, message: "\(problem) at byte \(parser.problem_offset) (YAML must be UTF-8 text)")
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            message += ", \(context) that starts at \(YAMLMark(parser.context_mark))"
        }
        return YAMLError(mark: YAMLMark(parser.problem_mark), message: message)
    }
}

extension YAMLMark {
    /// A libyaml mark (0-based) as a 1-based one.
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

/// The state of one composition: the containers open around the current event, the
/// anchors defined so far and the finished document.
private struct Composition {
    /// A node and how many values it stands for with aliases expanded (itself included).
    struct Counted {
        let node: YAMLNode
        let count: Int
    }

    /// A list or mapping whose end event has not come yet.
    struct OpenContainer {
        let mark: YAMLMark
        let anchor: String?
        let isMapping: Bool
        var count = 1
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        var pendingKey: YAMLNode?
        var pendingKeyIsMerge = false
        var keyMarks: [String: YAMLMark] = [:]
        /// Mappings named by merge keys, in the order their pairs take precedence.
        var merged: [[YAMLNode.Pair]] = []
    }

    let limits: YAMLComposer.Limits
    var open: [OpenContainer] = []
    var anchors: [String: Counted] = [:]
    var root: YAMLNode?
    var documents = 0

    init(limits: YAMLComposer.Limits) { self.limits = limits }

    mutating func take(_ event: yaml_event_t) throws(YAMLError) {
        let mark = YAMLMark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(mark: mark, message: "expected one YAML document, found a second one here (remove the '---')")
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = scalar.tag.map { String(cString: $0) }
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str"
            let node = YAMLNode(content: .scalar(YAMLScalar(text: text, isPlain: isPlain)), mark: mark)
            try finish(Counted(node: node, count: 1), anchor: scalar.anchor.map { String(cString: $0) }, at: mark)
        case YAML_ALIAS_EVENT:
            let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
            guard let anchored = anchors[name] else {
                throw YAMLError(mark: mark, message: "alias '*\(name)' names no anchor defined before it ('&\(name)')")
            }
            try finish(anchored, anchor: nil, at: mark)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            guard open.count < limits.maximumDepth else {
                throw YAMLError(mark: mark, message: "lists and mappings nested deeper than \(limits.maximumDepth) levels")
            }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            open.append(OpenContainer(mark: mark, anchor: anchor.map { String(cString: $0) }, isMapping: isMapping))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let container = open.popLast() else { return }
            let node: YAMLNode
            if container.isMapping {
                node = YAMLNode(content: .mapping(Self.merging(container)), mark: container.mark)
            } else {
                node = YAMLNode(content: .sequence(container.items), mark: container.mark)
            }
            try finish(Counted(node: node, count: container.count), anchor: container.anchor, at: container.mark)
        default:
            break  // stream and document ends, no-op events
        }
    }

    /// A complete node (written at `mark`: an alias's own place, not its anchor's):
    /// remembered under its anchor, then added to the container it is in (or made the
    /// document's root).
    private mutating func finish(_ counted: Counted, anchor: String?, at mark: YAMLMark) throws(YAMLError) {
        guard counted.count <= limits.maximumNodes else { throw tooLarge(mark) }
        if let anchor { anchors[anchor] = counted }
        guard var container = open.popLast() else {
            root = counted.node
            return
        }
        defer { open.append(container) }
        let (total, overflowed) = container.count.addingReportingOverflow(counted.count)
        guard !overflowed, total <= limits.maximumNodes else { throw tooLarge(mark) }
        container.count = total
        guard container.isMapping else {
            container.items.append(counted.node)
            return
        }
        guard let key = container.pendingKey else {
            try Self.check(key: counted.node, in: &container)
            return
        }
        container.pendingKey = nil
        if container.pendingKeyIsMerge {
            container.merged.append(contentsOf: try Self.mergeSources(counted.node, key: key))
        } else {
            container.pairs.append(YAMLNode.Pair(key: key, value: counted.node))
        }
    }

    /// Takes `key` as the next key of `container`: a single value, not seen before in it.
    private static func check(key: YAMLNode, in container: inout Composition.OpenContainer) throws(YAMLError) {
        guard let scalar = key.scalar else {
            throw YAMLError(mark: key.mark, message: "a mapping key must be a single value, found \(key.shapeDescription)")
        }
        container.pendingKey = key
        container.pendingKeyIsMerge = scalar.isPlain && scalar.text == "<<"
        if container.pendingKeyIsMerge { return }
        if let first = container.keyMarks[scalar.text] {
            throw YAMLError(mark: key.mark, message: "duplicate key '\(scalar.text)' (first at \(first))")
        }
        container.keyMarks[scalar.text] = key.mark
    }

    /// The mappings a merge key names: one mapping, or a list of them (earlier ones win).
    private static func mergeSources(_ value: YAMLNode, key: YAMLNode) throws(YAMLError) -> [[YAMLNode.Pair]] {
        if let pairs = value.mapping { return [pairs] }
        if let items = value.sequence {
            var sources: [[YAMLNode.Pair]] = []
            for item in items {
                guard let pairs = item.mapping else {
                    throw YAMLError(mark: item.mark, message: "a merge key ('<<') takes mappings, found \(item.shapeDescription)")
                }
                sources.append(pairs)
            }
            return sources
        }
        throw YAMLError(
            mark: key.mark, message: "a merge key ('<<') takes a mapping or a list of mappings, found \(value.shapeDescription)")
    }

    /// The mapping's own pairs, then each merged pair whose key it does not have yet
    /// (YAML's merge: keys written in the mapping win over merged ones).
    private static func merging(_ container: OpenContainer) -> [YAMLNode.Pair] {
        guard !container.merged.isEmpty else { return container.pairs }
        var pairs = container.pairs
        var keys = Set(container.keyMarks.keys)
        for source in container.merged {
            for pair in source {
                guard let key = pair.key.scalar?.text, !keys.contains(key) else { continue }
                keys.insert(key)
                pairs.append(pair)
            }
        }
        return pairs
    }

    private func tooLarge(_ mark: YAMLMark) -> YAMLError {
        YAMLError(
            .tooLarge(maximumNodes: limits.maximumNodes), mark: mark,
            message: "the document expands to more than \(limits.maximumNodes) values; "
                + "YAML aliases (*name) that repeat large anchors are refused")
    }
}
