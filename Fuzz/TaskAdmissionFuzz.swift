// libFuzzer target: the door. An ingest body (`ControlPlane.parseTasks`, the
// supervisor's `POST /v1/queues/{queue}/tasks` before anything is written),
// sent as one JSON task and as NDJSON to a queue of every provider, and the
// worker's judgement of what the door lets in (`TaskAdmission`).
// Built by scripts/fuzz.sh; seeded with the `task` target's corpus.
//
// Properties, each a trap when violated:
// - no input crashes the door (a trap there stops the supervisor);
// - a refusal is a 4xx (400, 413), never a 5xx, and says nothing was queued
//   (or that the body held no task); an NDJSON refusal names its line;
// - every task the door accepts, the worker accepts too and builds the same
//   request (but for the credential it adds): the door is never looser than
//   the worker, and never disagrees with it about what is sent;
// - a form body sent is at most `FormEncoding.maximumBytes`.
@testable import SluiceControl
import SluiceConfig
import SluiceHTTP
import SluiceProviders
import SluiceSpool

private let queues: [QueueConfig] = {
    let text = #"""
        {"queues": {
          "sendgrid-api": {"provider": "sendgrid", "rate": "10/s"},
          "stripe-api": {"provider": "stripe", "rate": "10/s"},
          "openai-api": {"provider": "openai", "rate": "60/min", "weighted": [{"name": "tokens", "rate": "90000/min", "burst": 9000}]},
          "twilio-api": {"provider": "twilio", "rate": "10/s", "accountSid": "AC123", "perKey": {"rate": "1/s"}},
          "hooks": {"provider": "http", "baseURL": "https://hooks.example.com/v1", "rate": "10/s", "perKey": {"field": "tenant", "rate": "1/s"}}
        }}
        """#
    return try! FleetConfig.parse(Array(text.utf8)).queues
}()
private let credential = Secret("sk_test_fuzz_door")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDoor(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    for queue in queues {
        for contentType in ["application/json", "application/x-ndjson"] {
            let request = HTTPRequest(method: "POST", target: "/v1/queues/\(queue.name)/tasks",
                                      headers: HTTPHeaders([("Content-Type", contentType)]), body: body)
            do {
                let tasks = try ControlPlane.parseTasks(request, queue: queue, maximumBatchCount: 100)
                for task in tasks { checkTheWorkerAgrees(task, queue: queue) }
            } catch {
                checkRefusal(error, ndjson: contentType != "application/json")
            }
        }
    }
    return 0
}

private func checkRefusal(_ error: ControlError, ndjson: Bool) {
    switch error {
    case .badRequest(let message):
        require(message.hasSuffix("nothing was queued") || message.hasSuffix("x-ndjson)") || message == "the body holds no task",
                "a refusal says nothing was queued: \(message)")
        if ndjson && message != "the body holds no task" { require(message.hasPrefix("line "), "an NDJSON refusal names its line: \(message)") }
    case .tooLarge:
        require(ndjson, "only a batch is too large")
    default:
        violated("the door answered \(error.status.code): \(error)")
    }
}

private func checkTheWorkerAgrees(_ submitted: TaskRequest, queue: QueueConfig) {
    let rules = AdmissionRules(queue: queue)
    let door: TaskAdmission.Admitted
    do { door = try TaskAdmission.check(submitted, rules: rules) } catch { violated("the door refused what ingest accepted: \(error)") }
    let task = ProviderTask(id: submitted.id?.rawValue ?? "", kind: submitted.kind, payload: submitted.payload)
    let worker: TaskAdmission.Admitted
    do {
        worker = try TaskAdmission.check(task, cost: submitted.cost, key: submitted.key, rules: rules, at: .worker,
                                         provider: Providers.make(for: queue), credential: credential)
    } catch {
        violated("the worker refuses a task the door let in: \(error)")
    }
    require(worker.request.method == door.request.method && worker.request.url == door.request.url && worker.request.body == door.request.body,
            "the worker would send another request than the door judged")
    require(worker.request.headers.filter { $0.name != "Authorization" }.map(\.name) == door.request.headers.map(\.name),
            "the worker would send other headers than the door judged")
    require(worker.cost == door.cost && worker.key == door.key, "the worker charges another cost or key")
    require(door.request.header("authorization") == nil, "the door never holds the credential")
    if door.request.header("content-type") == "application/x-www-form-urlencoded" {
        require(door.request.body.count <= FormEncoding.maximumBytes, "a form body over the cap")
    }
}
