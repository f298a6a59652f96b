// libFuzzer target: the path a task may send (RequestPath.join) and the
// header bytes it may set (HeaderBytes), in SluiceProviders. Built by
// scripts/fuzz.sh. The input is the path, as UTF-8 (invalid bytes replaced).
//
// Properties, each a trap when violated:
// - nothing traps;
// - an accepted path is the base URL followed by the path as written, starts
//   with a single "/", holds only URL-safe ASCII, and, decoded once and
//   twice, has no "." or ".." segment, no encoded "/", "\", ";" or control
//   byte, no ";" and no "%2e";
// - a value HeaderBytes lets through has no control character but tab.
@testable import SluiceProviders

private let base = "https://api.example.com/v1"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestPath(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if !HeaderBytes.hasControl(path) {
        require(!path.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || (0x7F...0x9F).contains($0.value) },
                "a header value with a control character was let through")
    }
    guard let url = try? RequestPath.join(base: base, path: path) else { return 0 }
    require(url == base + path, "the URL is the base followed by the path as written")
    let bytes = Array(path.utf8)
    require(bytes.first == UInt8(ascii: "/") && bytes.dropFirst().first != UInt8(ascii: "/"), "a single leading slash")
    require(bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "@") && $0 != UInt8(ascii: "\\") },
            "only URL-safe ASCII")
    let pathPart = Array(bytes.prefix { $0 != UInt8(ascii: "?") })
    require(!pathPart.contains(UInt8(ascii: ";")), "no ';' in the path")
    for segment in pathPart.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
        var level = Array(segment)
        let lowered = String(decoding: level, as: UTF8.self).lowercased()
        require(!lowered.contains("%2e"), "no encoded dot")
        for _ in 0..<2 {
            require(level != [0x2E] && level != [0x2E, 0x2E], "a dot segment, once decoded: \(path)")
            guard let decoded = RequestPath.percentDecoded(level) else { break }
            require(!decoded.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ";") },
                    "an encoded separator or control byte: \(path)")
            level = decoded
        }
        require(level != [0x2E] && level != [0x2E, 0x2E], "a dot segment, decoded twice: \(path)")
    }
    return 0
}
