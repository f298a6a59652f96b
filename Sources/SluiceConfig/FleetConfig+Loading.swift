import Glibc

extension FleetConfig {
    /// Reads and parses the file at `path`; the error names the file.
    public static func load(path: String) throws(ConfigError) -> FleetConfig {
        guard let file = fopen(path, "r") else {
            throw ConfigError("", "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
            guard bytes.count <= 4 << 20 else { throw ConfigError("", "\(path) is larger than 4 MiB; is it the right file?") }
        }
        do {
            return try parse(bytes)
        } catch {
            throw ConfigError(error.path, "\(error.message) (in \(path))")
        }
    }

    /// Resolves every queue's credential now, so a missing one is a start-up
    /// error naming the queue rather than a worker that keeps crashing.
    public func checkCredentials(environment: [String: String], readFile: (String) -> String?) throws(ConfigError) {
        for queue in queues {
            guard let source = queue.credential else { continue }
            do {
                _ = try source.resolve(environment: environment, readFile: readFile)
            } catch {
                throw ConfigError("queues.\(queue.name).credential", error.message)
            }
        }
    }
}
