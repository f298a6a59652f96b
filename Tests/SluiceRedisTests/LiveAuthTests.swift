import SluiceRedis
import SluiceTestSupport
import Testing

extension LiveRedis {
    /// AUTH on every connect: the default user, an ACL user, a wrong or missing password.
    @Suite struct Auth {
        static let password = "s3cret-Ω-pass"

        @Test func rightPassword_connects() throws {
            let server = try RedisServer(password: Self.password)
            let redis = try Live.connection(server, password: Self.password)
            #expect(try redis.send("PING") == .simpleString("PONG"))
        }

        @Test func wrongPassword_failsNamingTheFix_neverThePassword() throws {
            let server = try RedisServer(password: Self.password)
            let redis = try Live.connection(server, password: "wrong-hunter2")
            let error = Live.error { try redis.send("PING") }
            guard case .notSent(.authenticationFailed(let message))? = error, let error else {
                Issue.record("expected AUTH refused, got \(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("WRONGPASS"))
            #expect(error.description.contains("check the password in the credential"))
            #expect(!error.description.contains("wrong-hunter2"))
            #expect(!error.description.contains(Self.password))
            #expect(!String(reflecting: error).contains("wrong-hunter2"))
            // Failed attempts back off: the next call fails at once, saying why.
            let (next, milliseconds) = Live.timed { Live.error { try redis.send("PING") } }
            guard case .notSent(.backingOff(_, after: .authenticationFailed))? = next else {
                Issue.record("expected a fast backing-off failure, got \(String(describing: next))")
                return
            }
            #expect(milliseconds < 5)
        }

        @Test func missingPassword_isAnAuthenticationFailure() throws {
            let server = try RedisServer(password: Self.password)
            let redis = try Live.connection(server)
            let error = Live.error { try redis.send("GET", "k") }
            guard case .notSent(.authenticationFailed(let message))? = error else {
                Issue.record("expected NOAUTH, got \(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("NOAUTH"))
        }

        @Test func aclUser_logsInAsThatUser() throws {
            let server = try RedisServer(password: Self.password)
            #expect(server.cli(["ACL", "SETUSER", "app", "on", ">app-pass", "~*", "+@all"]) == "OK")
            let endpoint = try RedisEndpoint(parsing: "redis://app@127.0.0.1:\(server.port)/0")
            let redis = RedisConnection(endpoint: endpoint, password: RedisPassword("app-pass"))
            #expect(try redis.send("ACL", "WHOAMI") == Live.bulk("app"))
            let wrong = RedisConnection(endpoint: endpoint, password: RedisPassword(Self.password))
            let error = Live.error { try wrong.send("PING") }
            guard case .notSent(.authenticationFailed)? = error else {
                Issue.record("the default user's password worked for app: \(String(describing: error))")
                return
            }
        }
    }
}
