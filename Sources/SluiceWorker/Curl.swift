import CSluiceShim
import Glibc

/// libcurl, loaded at run time (`libcurl.so.4`, the library URLSession uses
/// on Linux), and the few calls and constants the executor needs.
///
/// Why libcurl directly rather than URLSession: URLSession decompresses by
/// itself and hands data to its delegate asynchronously, and cannot stop a
/// transfer from inside its callbacks, so a 1 MB gzip answer was inflated to
/// 1 GB in memory before a cancel could land. Here the write callback runs
/// synchronously inside libcurl and returns 0 the moment the answer passes
/// its limit, which aborts the transfer on the spot.
///
/// The constants are libcurl's ABI (curl.h); they have never changed.
struct Curl: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer

    enum Option {
        static let url: Int32 = 10002
        static let writeFunction: Int32 = 20011
        static let writeData: Int32 = 10001
        static let headerFunction: Int32 = 20079
        static let headerData: Int32 = 10029
        static let transferInfoFunction: Int32 = 20219
        static let transferInfoData: Int32 = 10057
        static let noProgress: Int32 = 43
        static let noSignal: Int32 = 99
        static let httpHeader: Int32 = 10023
        static let customRequest: Int32 = 10036
        static let postFields: Int32 = 10015
        static let postFieldSizeLarge: Int32 = 30120
        static let post: Int32 = 47
        static let httpGet: Int32 = 80
        static let noBody: Int32 = 44
        static let timeoutMilliseconds: Int32 = 155
        static let connectTimeoutMilliseconds: Int32 = 156
        static let acceptEncoding: Int32 = 10102
        static let followLocation: Int32 = 52
        static let protocols: Int32 = 181
        static let redirectProtocols: Int32 = 182
        static let errorBuffer: Int32 = 10010
        static let httpVersion: Int32 = 84
        static let maxFileSizeLarge: Int32 = 30117
        /// libcurl ≥ 7.80: called once the connection is ready, just before the request is sent.
        static let prerequestFunction: Int32 = 20312
        static let prerequestData: Int32 = 10313
    }

    static let protocolHTTP = 1
    static let protocolHTTPS = 2
    static let httpVersion1_1 = 2
    static let errorBufferSize = 256
    static let infoResponseCode: Int32 = 0x200000 + 2

    let easyInit: @convention(c) () -> Handle?
    let easyCleanup: @convention(c) (Handle) -> Void
    let easyReset: @convention(c) (Handle) -> Void
    let easyPerform: @convention(c) (Handle) -> Int32
    let easyStrerror: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let slistAppend: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>) -> UnsafeMutableRawPointer?
    let slistFreeAll: @convention(c) (UnsafeMutableRawPointer?) -> Void
    private let setopt: UnsafeMutableRawPointer
    private let getinfo: UnsafeMutableRawPointer

    /// The library, loaded once per process; nil (with why) if it cannot be.
    static let shared: Result<Curl, CurlUnavailable> = load()

    private static func load() -> Result<Curl, CurlUnavailable> {
        guard let library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL) ?? dlopen("libcurl.so", RTLD_NOW | RTLD_GLOBAL) else {
            return .failure(CurlUnavailable(reason: dlerror().map { String(cString: $0) } ?? "not found"))
        }
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(library, name) }
        typealias GlobalInit = @convention(c) (Int) -> Int32
        guard let globalInit = symbol("curl_global_init"), let easyInit = symbol("curl_easy_init"),
              let easyCleanup = symbol("curl_easy_cleanup"), let easyReset = symbol("curl_easy_reset"),
              let easyPerform = symbol("curl_easy_perform"), let easyStrerror = symbol("curl_easy_strerror"),
              let slistAppend = symbol("curl_slist_append"), let slistFreeAll = symbol("curl_slist_free_all"),
              let setopt = symbol("curl_easy_setopt"), let getinfo = symbol("curl_easy_getinfo") else {
            return .failure(CurlUnavailable(reason: "a libcurl function is missing"))
        }
        // CURL_GLOBAL_ALL; thread-safe and reference-counted since libcurl 7.84.
        guard unsafeBitCast(globalInit, to: GlobalInit.self)(3) == 0 else {
            return .failure(CurlUnavailable(reason: "curl_global_init failed"))
        }
        return .success(Curl(
            easyInit: unsafeBitCast(easyInit, to: (@convention(c) () -> Handle?).self),
            easyCleanup: unsafeBitCast(easyCleanup, to: (@convention(c) (Handle) -> Void).self),
            easyReset: unsafeBitCast(easyReset, to: (@convention(c) (Handle) -> Void).self),
            easyPerform: unsafeBitCast(easyPerform, to: (@convention(c) (Handle) -> Int32).self),
            easyStrerror: unsafeBitCast(easyStrerror, to: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self),
            slistAppend: unsafeBitCast(slistAppend, to: (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>) -> UnsafeMutableRawPointer?).self),
            slistFreeAll: unsafeBitCast(slistFreeAll, to: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self),
            setopt: setopt, getinfo: getinfo))
    }

    @discardableResult
    func set(_ handle: Handle, _ option: Int32, _ value: Int) -> Int32 {
        sluice_curl_setopt_long(setopt, handle, option, value)
    }

    @discardableResult
    func set(_ handle: Handle, _ option: Int32, pointer: UnsafeRawPointer?) -> Int32 {
        sluice_curl_setopt_pointer(setopt, handle, option, pointer)
    }

    @discardableResult
    func set(_ handle: Handle, _ option: Int32, offset: Int64) -> Int32 {
        sluice_curl_setopt_offset(setopt, handle, option, offset)
    }

    /// A string option; libcurl copies strings it is given (since 7.17).
    @discardableResult
    func set(_ handle: Handle, _ option: Int32, string: String) -> Int32 {
        string.withCString { sluice_curl_setopt_pointer(setopt, handle, option, $0) }
    }

    func responseCode(_ handle: Handle) -> Int {
        var code = 0
        _ = sluice_curl_getinfo_long(getinfo, handle, Self.infoResponseCode, &code)
        return code
    }

    func describe(_ code: Int32) -> String {
        easyStrerror(code).map { String(cString: $0) } ?? "libcurl error \(code)"
    }
}

/// Why libcurl could not be loaded; the worker cannot send anything without it.
public struct CurlUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String {
        "libcurl (libcurl.so.4) is needed to send requests and could not be loaded: \(reason); install libcurl4 (Debian, Ubuntu) or libcurl (Fedora)"
    }
}
