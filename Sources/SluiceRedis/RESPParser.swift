/// Turns the bytes a Redis server sends into replies, incrementally.
///
/// Append bytes as they arrive, split anywhere; `next()` returns each
/// complete reply once, in order, and nil while the next one is incomplete.
/// Work is linear in the bytes appended however they are split: a partial
/// line is never rescanned, a partial aggregate keeps the elements already
/// parsed, and a bulk string is copied once, when all of it is there.
///
/// Bounded: every announced length is checked against `limits` before it is
/// trusted or any memory is set aside for it. A violation is a
/// `RESPProtocolError` (never a trap), and the parser stays failed: every
/// later `next()` throws the same error, because where the next reply would
/// start is unknown.
public struct RESPParser: Sendable {
    public let limits: RESPLimits
    /// Bytes received; those before `position` are consumed.
    private var buffer: [UInt8] = []
    private var position = 0
    /// Where the search for the current line's CRLF resumes.
    private var scanFrom = 0
    /// Aggregates opened and not yet complete, innermost last.
    private var stack: [Frame] = []
    /// A blob whose header was read, waiting for its payload and CRLF.
    private var pendingBlob: Blob?
    /// Wire bytes of the reply being parsed so far (headers and announced payloads).
    private var replyBytes = 0
    private var failure: RESPProtocolError?

    private struct Frame: Sendable {
        var kind: AggregateKind
        var expected: Int
        var items: [RESPValue]
    }

    private enum AggregateKind: Sendable {
        case array, map, set, push
        /// An attribute's key–value elements; then `attributed`.
        case attribute
        /// The one value an attribute annotates: returned alone.
        case attributed
    }

    private struct Blob: Sendable {
        var kind: BlobKind
        var length: Int
    }

    private enum BlobKind: Sendable { case bulk, error, verbatim }

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// Bytes appended and not yet consumed by a returned reply.
    public var bufferedByteCount: Int { buffer.count - position }

    /// True when part of a reply has been read (or bytes wait) but no complete reply.
    public var isMidReply: Bool { bufferedByteCount > 0 || !stack.isEmpty || pendingBlob != nil }

    /// Adds bytes received from the server.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        discardConsumed()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or nil until more bytes arrive.
    public mutating func next() throws(RESPProtocolError) -> RESPValue? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - Parsing

    private mutating func parseNext() throws(RESPProtocolError) -> RESPValue? {
        while true {
            let value: RESPValue
            if let blob = pendingBlob {
                guard let finished = try finish(blob) else { return nil }
                value = finished
            } else {
                guard let line = try takeLine() else { return nil }
                guard let scalar = try begin(type: line.type, content: line.content) else { continue }
                value = scalar
            }
            if let reply = deliver(value) {
                replyBytes = 0
                return reply
            }
        }
    }

    /// Consumes the next whole line (type byte, content, CRLF); nil if it is not all there.
    private mutating func takeLine() throws(RESPProtocolError) -> (type: UInt8, content: Range<Int>)? {
        guard position < buffer.count else { return nil }
        let type = buffer[position]
        guard Self.isKnownType[Int(type)] else {
            throw RESPProtocolError(.unknownType(type), "a reply cannot start with \(Self.describe(byte: type)); the server is not speaking RESP (is this a Redis port?)")
        }
        let start = max(scanFrom, position + 1)
        // The same limit whether the line is complete or still arriving: its
        // content so far is at least what follows the type byte, less a CR.
        guard let lineEnd = Self.findCRLF(in: buffer, from: start) else {
            scanFrom = max(position + 1, buffer.count - 1)
            if buffer.count - position - 2 > limits.maxBulkLength { throw lineTooLong() }
            return nil
        }
        let content = (position + 1)..<lineEnd
        if content.count > limits.maxBulkLength { throw lineTooLong() }
        try account(lineEnd + 2 - position)
        position = lineEnd + 2
        scanFrom = position
        return (type, content)
    }

    /// Starts the value a line announces: a finished scalar, or nil after
    /// opening an aggregate or a blob whose payload follows.
    private mutating func begin(type: UInt8, content: Range<Int>) throws(RESPProtocolError) -> RESPValue? {
        switch type {
        case UInt8(ascii: "+"): return .simpleString(text(content))
        case UInt8(ascii: "-"): return .error(text(content))
        case UInt8(ascii: ":"): return .integer(try integer(content, what: "integer"))
        case UInt8(ascii: "$"): return try openBlob(.bulk, content)
        case UInt8(ascii: "!"): return try openBlob(.error, content)
        case UInt8(ascii: "="): return try openBlob(.verbatim, content)
        case UInt8(ascii: "*"): return try openAggregate(.array, content)
        case UInt8(ascii: "%"): return try openAggregate(.map, content)
        case UInt8(ascii: "~"): return try openAggregate(.set, content)
        case UInt8(ascii: ">"): return try openAggregate(.push, content)
        case UInt8(ascii: "|"): return try openAggregate(.attribute, content)
        case UInt8(ascii: "_"):
            guard content.isEmpty else { throw malformed("a null (_) with content \(excerpt(content))") }
            return .null
        case UInt8(ascii: "#"): return try boolean(content)
        case UInt8(ascii: ","): return try double(content)
        default: return try bigNumber(content)
        }
    }

    private mutating func openBlob(_ kind: BlobKind, _ content: Range<Int>) throws(RESPProtocolError) -> RESPValue? {
        let length = try integer(content, what: "length")
        if length == -1 && kind == .bulk { return .null }
        guard length >= 0 else { throw malformed("a negative length \(length)") }
        guard length <= limits.maxBulkLength else {
            throw RESPProtocolError(.bulkTooLong, "a bulk string of \(length) bytes is above the cap of \(limits.maxBulkLength) (RESPLimits.maxBulkLength); raise the cap if the server really holds values this large")
        }
        if kind == .verbatim && length < 4 { throw malformed("a verbatim string of \(length) bytes has no room for its format (\"txt:\")") }
        try account(Int(length) + 2)
        pendingBlob = Blob(kind: kind, length: Int(length))
        return nil
    }

    /// The blob's value once its payload and CRLF are all there; nil before.
    private mutating func finish(_ blob: Blob) throws(RESPProtocolError) -> RESPValue? {
        guard buffer.count - position >= blob.length + 2 else { return nil }
        let payload = position..<(position + blob.length)
        guard buffer[payload.upperBound] == 13 && buffer[payload.upperBound + 1] == 10 else {
            throw malformed("a bulk string of \(blob.length) bytes is not followed by CRLF")
        }
        position = payload.upperBound + 2
        scanFrom = position
        pendingBlob = nil
        switch blob.kind {
        case .bulk: return .bulkString(Array(buffer[payload]))
        case .error: return .error(text(payload))
        case .verbatim: return try verbatim(payload)
        }
    }

    private func verbatim(_ payload: Range<Int>) throws(RESPProtocolError) -> RESPValue {
        let format = payload.lowerBound..<(payload.lowerBound + 3)
        let formatIsText = buffer[format].allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
        guard formatIsText && buffer[format.upperBound] == UInt8(ascii: ":") else {
            throw malformed("a verbatim string must start with a three-letter format and a colon, like \"txt:\"; got \(excerpt(payload.lowerBound..<(payload.lowerBound + 4)))")
        }
        return .verbatimString(format: text(format), text: Array(buffer[(format.upperBound + 1)..<payload.upperBound]))
    }

    private mutating func openAggregate(_ kind: AggregateKind, _ content: Range<Int>) throws(RESPProtocolError) -> RESPValue? {
        let count = try integer(content, what: "count")
        if count == -1 && kind == .array { return .null }
        guard count >= 0 else { throw malformed("a negative count \(count)") }
        let perEntry: Int64 = (kind == .map || kind == .attribute) ? 2 : 1
        // Each element takes at least 3 bytes ("_\r\n"): refuse a count that cannot fit before trusting it.
        let room = Int64(limits.maxReplyBytes - replyBytes) / (3 * perEntry)
        guard count <= room else {
            throw RESPProtocolError(.replyTooLarge, "an aggregate announcing \(count) elements cannot fit in a reply of at most \(limits.maxReplyBytes) bytes (RESPLimits.maxReplyBytes)")
        }
        let elements = Int(count * perEntry)
        if elements == 0 {
            switch kind {
            case .array: return .array([])
            case .map: return .map([])
            case .set: return .set([])
            case .push: return .push([])
            case .attribute, .attributed:
                try open(Frame(kind: .attributed, expected: 1, items: []))
                return nil
            }
        }
        var items: [RESPValue] = []
        items.reserveCapacity(min(elements, 1024))
        try open(Frame(kind: kind, expected: elements, items: items))
        return nil
    }

    private mutating func open(_ frame: Frame) throws(RESPProtocolError) {
        guard stack.count < limits.maxDepth else {
            throw RESPProtocolError(.tooDeep, "aggregates nested deeper than \(limits.maxDepth) levels (RESPLimits.maxDepth)")
        }
        stack.append(frame)
    }

    /// Adds a finished value to the innermost open aggregate, closing every
    /// aggregate it completes. Returns the reply when the outermost is done.
    private mutating func deliver(_ finished: RESPValue) -> RESPValue? {
        var value = finished
        while let innermost = stack.indices.last {
            stack[innermost].items.append(value)
            guard stack[innermost].items.count == stack[innermost].expected else { return nil }
            let frame = stack.removeLast()
            switch frame.kind {
            case .array: value = .array(frame.items)
            case .set: value = .set(frame.items)
            case .push: value = .push(frame.items)
            case .map: value = .map(Self.pairs(frame.items))
            case .attribute:
                // The attribute is complete; the value it annotates comes next, alone.
                stack.append(Frame(kind: .attributed, expected: 1, items: []))
                return nil
            case .attributed: value = frame.items.first ?? .null
            }
        }
        return value
    }

    private static func pairs(_ items: [RESPValue]) -> [RESPPair] {
        stride(from: 0, to: items.count - 1, by: 2).map { RESPPair(items[$0], items[$0 + 1]) }
    }

    // MARK: - Scalars

    private func boolean(_ content: Range<Int>) throws(RESPProtocolError) -> RESPValue {
        if content.count == 1 && buffer[content.lowerBound] == UInt8(ascii: "t") { return .boolean(true) }
        if content.count == 1 && buffer[content.lowerBound] == UInt8(ascii: "f") { return .boolean(false) }
        throw malformed("a boolean must be #t or #f; got \(excerpt(content))")
    }

    private func double(_ content: Range<Int>) throws(RESPProtocolError) -> RESPValue {
        guard Self.isDouble(buffer[content]), let value = Double(text(content)) else {
            throw malformed("\(excerpt(content)) is not a double")
        }
        return .double(value)
    }

    private func bigNumber(_ content: Range<Int>) throws(RESPProtocolError) -> RESPValue {
        var digits = buffer[content]
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw malformed("\(excerpt(content)) is not a big number")
        }
        return .bigNumber(text(content))
    }

    private func integer(_ content: Range<Int>, what: String) throws(RESPProtocolError) -> Int64 {
        guard let value = Self.parseInteger(buffer[content]) else {
            throw malformed("\(excerpt(content)) is not a valid \(what)")
        }
        return value
    }

    /// A signed decimal that fits in 64 bits, and nothing else (no spaces, no empty digits).
    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var digits = bytes
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        // Accumulated negatively so that Int64.min fits.
        var value: Int64 = 0
        for byte in digits {
            let digit = Int64(byte) - 0x30
            guard digit >= 0 && digit <= 9 else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(digit)
            if overflowA || overflowB { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// RESP3's double: `[sign]digits[.digits][e[sign]digits]`, or `inf`, `-inf`, `nan`.
    static func isDouble(_ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { rest = rest.dropFirst() }
        if rest.elementsEqual("inf".utf8) || rest.elementsEqual("nan".utf8) { return true }
        func digits() -> Int {
            let count = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            rest = rest.dropFirst(count)
            return count
        }
        var mantissa = digits()
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { rest = rest.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }

    // MARK: - Buffer

    private mutating func account(_ bytes: Int) throws(RESPProtocolError) {
        replyBytes += bytes
        guard replyBytes <= limits.maxReplyBytes else {
            throw RESPProtocolError(.replyTooLarge, "a reply larger than \(limits.maxReplyBytes) bytes (RESPLimits.maxReplyBytes)")
        }
    }

    /// Drops consumed bytes once they are worth moving, and a large buffer's
    /// memory once it is empty, so one big reply does not pin its memory forever.
    private mutating func discardConsumed() {
        guard position > 0 else { return }
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
        } else if position >= 1 << 16 && position * 2 >= buffer.count {
            buffer.removeFirst(position)
        } else {
            return
        }
        scanFrom -= position
        position = 0
    }

    private static func findCRLF(in buffer: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            var index = start
            while index + 1 < bytes.count {
                if bytes[index] == 13 {
                    if bytes[index + 1] == 10 { return index }
                }
                index += 1
            }
            return nil
        }
    }

    /// Indexed by a reply's first byte: true for the types RESP2 and RESP3 define.
    private static let isKnownType: [Bool] = (0..<256).map { "+-:$*_#,(!=%~>|".utf8.contains(UInt8($0)) }

    private func text(_ range: Range<Int>) -> String { String(decoding: buffer[range], as: UTF8.self) }

    private func lineTooLong() -> RESPProtocolError {
        RESPProtocolError(.bulkTooLong, "a line longer than \(limits.maxBulkLength) bytes (RESPLimits.maxBulkLength)")
    }

    private func malformed(_ detail: String) -> RESPProtocolError { RESPProtocolError(.malformed, detail) }

    /// At most 32 bytes of the input, quoted, with anything unprintable escaped.
    private func excerpt(_ range: Range<Int>) -> String {
        let shown = buffer[range.clamped(to: 0..<buffer.count).prefix(32)]
        var text = "\""
        for byte in shown { text += (byte >= 0x20 && byte < 0x7F && byte != 0x22) ? String(UnicodeScalar(byte)) : Self.hex(byte) }
        return text + (range.count > 32 ? "…\"" : "\"")
    }

    private static func describe(byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "\"\(UnicodeScalar(byte))\"" : "byte \(hex(byte))"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])"
    }
}
