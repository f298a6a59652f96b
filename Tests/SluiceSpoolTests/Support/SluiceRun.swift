import Foundation
import SluicePOSIX
import SluiceTestSupport

/// One run of the built `sluice` binary, as a black box: its exit status and what it printed.
struct SluiceRun {
    let status: ExitStatus?
    let output: String
    let errors: String

    var lines: [String] { output.split(separator: "\n").map(String.init) }

    /// Runs `sluice arguments…`, with `input` on standard input if given.
    init(_ arguments: [String], input: String? = nil, in scratch: ScratchDirectory) throws {
        let label = UniqueName.fleet("run")
        let out = scratch.file("\(label).out")
        let err = scratch.file("\(label).err")
        let sluice = ChildProcessRunner.product("sluice")
        let child: ChildProcess
        if let input {
            let inputPath = scratch.file("\(label).in")
            try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath))
            // The shell only redirects standard input, then becomes sluice.
            child = try ChildProcess.spawn(executable: "/bin/sh", arguments: ["-c", "exec \"$0\" \"$@\" < \"\(inputPath)\"", sluice] + arguments,
                                           standardOutput: out, standardError: err)
        } else {
            child = try ChildProcess.spawn(executable: sluice, arguments: arguments, standardOutput: out, standardError: err)
        }
        status = try child.waitForExit()
        output = readTextFile(out) ?? ""
        errors = readTextFile(err) ?? ""
    }
}
