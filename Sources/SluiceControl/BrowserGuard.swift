import SluiceHTTP

/// Keeps web pages out of the `/v1` routes. A page the operator opens can
/// send requests to 127.0.0.1 (CSRF) and, with DNS rebinding, read the
/// answers: its own host name resolves to 127.0.0.1 for the second request.
/// No token stops either when none is configured (loopback).
///
/// Three checks, on the head, with or without a token:
/// - `Host` must be a loopback name, an IP address (a rebinding page uses a
///   name it controls, never an address), or a configured `allowedHosts` name
///   (one starting with `.` allows every name ending so);
/// - an `Origin` (browsers send it on cross-origin requests, and on every
///   POST) must be this very host (`http://` + `Host`); `Sec-Fetch-Site`,
///   where sent, must not say `cross-site` or `same-site`;
/// - a request that changes something (any method but GET and HEAD) must carry
///   a JSON `Content-Type` or an `X-Sluice-Request` header: a page cannot send
///   either to another origin without a CORS preflight, which Sluice never grants.
struct BrowserGuard: Sendable {
    /// Configured host names, lowercased.
    let allowedHosts: Set<String>

    /// The header that marks a request as made by a program, not a page.
    static let requestHeader = "X-Sluice-Request"
    /// Body types a form cannot send (each needs a preflight).
    static let programTypes = ["application/json", "application/x-ndjson", "application/jsonl"]

    /// Nil when `request` may proceed, else the 403 to answer.
    func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        if let host = request.headers["Host"], !isAllowed(host: host) {
            return Self.forbidden("Host \"\(Self.shown(host))\" is not a name this fleet answers to on /v1 (DNS rebinding); "
                                  + "use 127.0.0.1, localhost or an IP address, or add the name to \"allowedHosts\" in the configuration")
        }
        if let origin = request.headers["Origin"], !isSameOrigin(origin, host: request.headers["Host"]) {
            return Self.forbidden("Origin \"\(Self.shown(origin))\" is another site: web pages may not use /v1; call it from a program")
        }
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site == "cross-site" || site == "same-site" {
            return Self.forbidden("Sec-Fetch-Site: \(site): web pages may not use /v1; call it from a program")
        }
        if request.method != "GET", request.method != "HEAD", !isFromAProgram(request) {
            return Self.forbidden("\(request.method) \(request.path) changes the fleet: send Content-Type: application/json "
                                  + "(or application/x-ndjson) or the header \(Self.requestHeader): 1, which a web page cannot send to another site")
        }
        return nil
    }

    private func isFromAProgram(_ request: HTTPRequest) -> Bool {
        if request.headers.contains(Self.requestHeader) { return true }
        guard let type = request.headers["Content-Type"]?.lowercased() else { return false }
        let essence = type.split(separator: ";", maxSplits: 1).first.map { String($0.trimmingSpaces) } ?? ""
        return Self.programTypes.contains(essence)
    }

    /// `Host` without its port, lowercased, one trailing dot dropped.
    static func hostName(_ host: String) -> String {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") {
            // [::1]:9464
            return String(name.prefix { $0 != "]" }.dropFirst())
        }
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        if name.hasSuffix(".") { name = name.dropLast() }
        return String(name)
    }

    func isAllowed(host: String) -> Bool {
        let name = Self.hostName(host)
        return name == "localhost" || Self.isIPv4(name) || Self.isIPv6Literal(host) || allowedHosts.contains(name)
            || allowedHosts.contains { $0.hasPrefix(".") && name.hasSuffix($0) }
    }

    /// An `Origin` is this server's when it is `http(s)://` + the request's own `Host`.
    private func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, origin != "null" else { return false }
        let lowered = origin.lowercased()
        return lowered == "http://" + host.lowercased() || lowered == "https://" + host.lowercased()
    }

    /// `[` hex digits, `:` and `.` `]`, then nothing or `:port`: an address, never a name.
    static func isIPv6Literal(_ host: String) -> Bool {
        guard host.hasPrefix("["), let close = host.firstIndex(of: "]") else { return false }
        let inside = host[host.index(after: host.startIndex)..<close]
        let rest = host[host.index(after: close)...]
        return !inside.isEmpty && inside.allSatisfy { $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") }
            && (rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCII) && rest.dropFirst().allSatisfy(\.isNumber)))
    }

    static func isIPv4(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    private static func forbidden(_ reason: String) -> HTTPResponse {
        ControlPlane.errorResponse(ControlError.forbidden(reason))
    }

    /// At most 100 characters, controls as `?` (it goes back in an answer).
    private static func shown(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(100).map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0 }))
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
