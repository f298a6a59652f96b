import SluiceConfig
import SluiceHTTP
import SluiceJSON

/// The bearer-token check on `/v1` routes.
///
/// With no token configured (allowed on loopback only, which the
/// configuration enforces) every request passes. The comparison takes the
/// same time wherever the first difference is, so the token cannot be
/// guessed byte by byte from response times.
struct Authorization: Sendable {
    let token: Secret?

    /// Nil when `request` may proceed, else the 401 to answer.
    func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard let token else { return nil }
        let expected = Array("Bearer \(token.reveal())".utf8)
        let given = Array((request.headers["Authorization"] ?? "").utf8)
        if Self.constantTimeEqual(given, expected) { return nil }
        let reason = given.isEmpty ? "this route needs Authorization: Bearer <token> (the fleet's adminToken)" : "the bearer token is wrong"
        return .json(.unauthorized, JSONWriter.bytes(.object([("error", .string(reason))])),
                     headers: ["WWW-Authenticate": "Bearer realm=\"sluice\""])
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
