import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceProviders

/// Sends requests with URLSession: one session per worker process, its
/// connections kept alive and reused across tasks.
///
/// Redirects are refused (answered as they are): following one could take a
/// request, credentials included, to a host the queue does not name.
public final class HTTPExecutor: Sendable {
    private let session: URLSession

    /// The result of one attempt on the wire.
    public enum Result: Sendable {
        case answered(ProviderResponse)
        /// No answer: connection refused or reset, DNS, TLS, timeout.
        case transportFailure(String)
    }

    public init(maximumConnections: Int, requestTimeout: UInt64) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maximumConnections
        configuration.timeoutIntervalForRequest = Double(requestTimeout) / 1e9
        configuration.timeoutIntervalForResource = Double(requestTimeout) / 1e9
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        session = URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
    }

    /// Sends `request`. Cancelling the calling task cancels the request.
    public func send(_ request: OutgoingRequest) async -> Result {
        guard let url = URL(string: request.url) else { return .transportFailure("invalid URL \(request.redacted)") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for header in request.headers { urlRequest.setValue(header.value, forHTTPHeaderField: header.name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }
        do {
            let (data, response) = try await session.data(for: urlRequest)
            guard let http = response as? HTTPURLResponse else { return .transportFailure("not an HTTP answer") }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return .answered(ProviderResponse(status: http.statusCode, headers: headers, body: Array(data)))
        } catch {
            return .transportFailure("transport: \((error as NSError).localizedDescription)")
        }
    }

    public func close() { session.invalidateAndCancel() }
}

/// Answers every redirect with "do not follow".
private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
