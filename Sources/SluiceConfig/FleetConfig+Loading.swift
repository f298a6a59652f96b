import SluicePOSIX

extension FleetConfig {
    /// Reads and parses the file at `path`; the error names the file.
    public static func load(path: String) throws(ConfigError) -> FleetConfig {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path, limit: 4 << 20)
        } catch {
            throw ConfigError("", "cannot read \(path): \(error)")
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
        if let source = coordinator?.credential {
            do {
                _ = try source.resolve(environment: environment, readFile: readFile)
            } catch {
                throw ConfigError("coordinator.credential", error.message)
            }
        }
        if let source = adminToken {
            let token: Secret
            do {
                token = try source.resolve(environment: environment, readFile: readFile)
            } catch {
                throw ConfigError("adminToken", error.message)
            }
            guard token.reveal().utf8.count >= 16 else {
                throw ConfigError("adminToken", "the token in \(source.name) is shorter than 16 characters; use a random one, e.g. `openssl rand -hex 32`")
            }
        }
    }
}
