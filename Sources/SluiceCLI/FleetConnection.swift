import Foundation
import SluiceConfig
import SluiceControl
import SluiceHTTP
import SluiceJSON

/// How a command reaches the running fleet's control plane: `--server
/// ADDRESS`, else the endpoint the supervisor wrote in the spool root. The
/// bearer token comes from `$SLUICE_ADMIN_TOKEN`, else the configuration's
/// `adminToken` credential.
struct FleetConnection {
    let client: ControlClient?
    /// True when `--server` named the fleet: then no answer is an error, not "the fleet is down".
    let explicit: Bool

    static let usage = "[--server ADDRESS]"
    static let help = """
          --server ADDR   the fleet's listener (default: found in the spool root while the fleet runs);
                          the token is $SLUICE_ADMIN_TOKEN, or the configuration's adminToken
        """

    /// Takes `--server` from `arguments`; `client` is nil when no fleet runs on the location.
    init(_ arguments: inout Arguments, location: SpoolLocation) throws {
        let environment = ProcessInfo.processInfo.environment
        var token = environment["SLUICE_ADMIN_TOKEN"]
        if token == nil, let source = location.config?.adminToken {
            token = try? source.resolve(environment: environment, readFile: readSmallFile).reveal()
        }
        if let server = try arguments.option("--server") {
            let address: SocketAddress
            do { address = try SocketAddress(parsing: server) } catch { throw UsageError("--server: \(error)") }
            client = ControlClient(address: address, token: token)
            explicit = true
        } else if let endpoint = ControlEndpoint.read(root: location.root.path) {
            client = ControlClient(address: endpoint.connectAddress, token: token)
            explicit = false
        } else {
            client = nil
            explicit = false
        }
    }

    /// Sends the request; nil when the fleet is not running (nothing
    /// listens). Any answer other than 2xx is an error carrying the server's words.
    func call(_ method: String, _ path: String, json: JSONValue? = nil) throws -> ControlClient.Response? {
        guard let client else { return nil }
        let response: ControlClient.Response
        do {
            response = try client.send(method, path, body: json.map { JSONWriter.bytes($0) } ?? [])
        } catch {
            if case .notRunning = error, !explicit { return nil }
            throw CommandFailure("\(error)")
        }
        guard (200..<300).contains(response.status) else {
            let hint = response.status == 401 ? " (set SLUICE_ADMIN_TOKEN, or give --config with its adminToken)" : ""
            throw CommandFailure("the fleet answered \(response.status): \(response.message)\(hint)")
        }
        return response
    }
}

/// A command that ran but could not do its job: exit code 1 with the message.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
