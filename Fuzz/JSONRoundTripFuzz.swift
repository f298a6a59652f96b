// libFuzzer target: the JSON parser and writer (SluiceJSON). Built by
// scripts/fuzz.sh; see README, "Proof: fuzzing and the model-checked limiter".
//
// Properties, each a trap when violated:
// - parsing never crashes, and an error points inside the input;
// - what parses, written by JSONWriter, parses back to the same value
//   (so a task survives the spool's NDJSON line unchanged in meaning);
// - the written form is a fixed point: writing the re-parsed value gives the
//   same bytes, and it is one line (no raw newline).
import SluiceJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRoundTrip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes)
    } catch {
        require(error.offset >= 0 && error.offset <= size, "a syntax error points inside the input")
        require(!error.message.isEmpty, "a syntax error says what was expected")
        return 0
    }
    let written = JSONWriter.bytes(value)
    require(!written.contains(0x0A), "written JSON is one line")
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(written)
    } catch {
        violated("JSONWriter wrote what JSONParser refuses: \(error)")
    }
    require(reparsed == value, "parse → write → parse changed the value")
    require(JSONWriter.bytes(reparsed) == written, "writing is not a fixed point")
    return 0
}
