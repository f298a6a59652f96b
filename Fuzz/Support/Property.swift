// Linked into every fuzz target (scripts/fuzz.sh). `precondition` prints no
// message in optimised builds; a violated property must say which it was.

/// Traps, naming the property, unless `holds`.
func require(_ holds: Bool, _ property: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !holds { fatalError("property violated: \(property())", file: file, line: line) }
}

/// Traps, naming the property: a state the code under test promised never to reach.
func violated(_ property: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("property violated: \(property())", file: file, line: line)
}
