// libFuzzer target: the configuration file (`FleetConfig.parse`, SluiceConfig).
// Built by scripts/fuzz.sh.
//
// Properties, each a trap when violated:
// - no input crashes the parser;
// - a refusal names a field path, and its first part is a field the file
//   holds or the required "queues"; only a file that is not a JSON object
//   may be refused without a path;
// - an accepted file is accepted by the coordinator too: every queue's
//   limits fit the default segment (no late failure at start-up);
// - the same document re-serialised (JSONWriter) parses to the same config.
@testable import SluiceConfig
@testable import SluiceLimiter
import SluiceJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFleetConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let config: FleetConfig
    do {
        config = try FleetConfig.parse(bytes)
    } catch {
        checkRefusal(error, of: bytes)
        return 0
    }
    for queue in config.queues {
        do {
            try queue.limits.validate(for: .default)
        } catch {
            violated("queues.\(queue.name): accepted by the parser, refused by the coordinator: \(error)")
        }
    }
    guard let document = try? JSONParser.parse(bytes) else { violated("accepted a file that is not JSON") }
    guard let again = try? FleetConfig.parse(JSONWriter.bytes(document)) else {
        violated("the same document, re-serialised, is refused")
    }
    require(again == config, "the same document, re-serialised, parses to another config")
    return 0
}

private func checkRefusal(_ error: ConfigError, of bytes: [UInt8]) {
    require(!error.message.isEmpty, "a refusal says what is wrong")
    guard case .object(let root)? = try? JSONParser.parse(bytes) else {
        require(error.path.isEmpty, "a file that is not a JSON object has no field to name")
        return
    }
    require(!error.path.isEmpty, "a refusal of a JSON object names the field: \(error)")
    // Keys may hold dots themselves, so match whole keys, not the first dotted part.
    let named = (root.keys + ["queues"]).contains { key in
        let shown = key.isEmpty ? "\"\"" : key // how ObjectReader shows an empty key
        // By bytes: "queues." + a combining mark is one Character, so a
        // Character prefix test fails for a path that does start so (found by fuzzing).
        let path = Array(error.path.utf8)
        return path == Array(shown.utf8) || path.starts(with: Array((shown + ".").utf8)) || path.starts(with: Array((shown + "[").utf8))
    }
    require(named, "the refusal names \"\(error.path)\", not in the file")
}
