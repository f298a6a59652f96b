import SluiceHTTP

/// Why a control-plane request failed, mapped to its HTTP status.
public enum ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    case badRequest(String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case tooLarge(String)
    case unsupportedMediaType(String)
    case unavailable(String)
    case diskFull(String)
    case storage(String)

    public var description: String {
        switch self {
        case .badRequest(let text), .unauthorized(let text), .forbidden(let text), .notFound(let text), .conflict(let text), .tooLarge(let text),
             .unsupportedMediaType(let text),
             .unavailable(let text), .diskFull(let text), .storage(let text):
            text
        }
    }

    var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .unavailable: .serviceUnavailable
        case .diskFull: .insufficientStorage
        case .storage: .internalServerError
        }
    }
}
