import SluiceConfig
import SluiceCore
import SluiceJSON
import SluiceSpool
import SluiceTestSupport
import Testing
@testable import SluiceProviders

/// The door and the worker judge with one function (`TaskAdmission`): every
/// example of `AdmissionExamples` goes through both, and each refusal is
/// the exact message a producer reads.
@Suite struct TaskAdmissionTests {
    static let base = "https://api.example.com"
    static let credential = Secret("sk_test_door_123")

    static func fleet() throws -> FleetConfig {
        let text = #"{"queues": \#(AdmissionExamples.queuesJSON(base: base))}"#
        do { return try FleetConfig.parse(Array(text.utf8)) } catch { throw TaskRejected("\(error)") }
    }

    static func queue(_ name: String) throws -> QueueConfig {
        guard let queue = try fleet().queue(name) else { throw TaskRejected("no queue \(name)") }
        return queue
    }

    /// The door's judgement of a submitted task, as ingest and `sluice enqueue` make it.
    static func door(_ example: AdmissionExample) throws -> Result<TaskAdmission.Admitted, TaskRejected> {
        let queue = try queue(example.queue)
        let request = try TaskRequest(parsing: Array(example.task.utf8), queue: queue.name)
        do { return .success(try TaskAdmission.check(request, rules: AdmissionRules(queue: queue))) } catch { return .failure(error) }
    }

    /// The worker's judgement of the same task taken from the spool (`Worker.attempt`).
    static func worker(_ example: AdmissionExample) throws -> Result<TaskAdmission.Admitted, TaskRejected> {
        let queue = try queue(example.queue)
        let request = try TaskRequest(parsing: Array(example.task.utf8), queue: queue.name)
        let task = ProviderTask(id: request.id?.rawValue ?? "", kind: request.kind, payload: request.payload)
        do {
            return .success(try TaskAdmission.check(task, cost: request.cost, key: request.key, rules: AdmissionRules(queue: queue), at: .worker,
                                                    provider: Providers.make(for: queue), credential: credential))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: AdmissionExamples.all)
    func example_isJudgedAlike_byTheDoorAndTheWorker(_ example: AdmissionExample) throws {
        let door = try Self.door(example)
        let worker = try Self.worker(example)
        switch (example.scope, door, worker) {
        case (.valid, .success(let atDoor), .success(let atWorker)):
            // The same request, but for the credential the worker adds.
            #expect(atWorker.request.method == atDoor.request.method && atWorker.request.url == atDoor.request.url)
            #expect(atWorker.request.body == atDoor.request.body)
            #expect(atWorker.request.headers.filter { $0.name != "Authorization" }.map(\.name) == atDoor.request.headers.map(\.name))
            #expect(atDoor.request.header("authorization") == nil, "the door never holds the credential")
            #expect(atWorker.cost == atDoor.cost && atWorker.key == atDoor.key)
        case (.everywhere, .failure(let atDoor), .failure(let atWorker)):
            #expect(atDoor.reason == example.refusal)
            #expect(atWorker.reason == atDoor.reason, "the worker refuses with the door's words")
        case (.doorOnly, .failure(let atDoor), .success):
            #expect(atDoor.reason == example.refusal)
        default:
            Issue.record("\(example.scope): door \(door), worker \(worker)")
        }
    }

    @Test func examples_coverEveryProvider_validAndInvalid() {
        for (queue, _) in AdmissionExamples.queues {
            let examples = AdmissionExamples.all.filter { $0.queue == queue }
            #expect(examples.contains { $0.scope == .valid }, "\(queue) has a valid example")
            #expect(examples.contains { $0.scope != .valid }, "\(queue) has an invalid example")
        }
        #expect(AdmissionExamples.all.count >= 50)
    }

    @Test func rules_travelAsJSON_unchanged() throws {
        for (name, _) in AdmissionExamples.queues {
            let rules = AdmissionRules(queue: try Self.queue(name))
            #expect(AdmissionRules(json: try JSONParser.parse(JSONWriter.bytes(rules.json))) == rules)
        }
        #expect(AdmissionRules(json: .object([("queue", .string("q"))])) == nil)
    }

    @Test func costGiven_overridesTheEstimate_andSaturatedCostsAreNamed() throws {
        let rules = AdmissionRules(queue: try Self.queue("openai-api"))
        let huge = try task("generate_text", #"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":18446744073709551615}"#)
        let admitted = try TaskAdmission.check(huge, cost: 10, key: nil, rules: rules, at: .door)
        #expect(admitted.cost == 10)
        // At the worker the estimate saturates (no trap); the limiter refuses it, as before.
        #expect(try TaskAdmission.check(huge, cost: nil, key: nil, rules: rules, at: .worker).cost == .max)
    }

    @Test func withoutWeightedLimits_anyCostIsAdmitted() throws {
        let rules = AdmissionRules(queue: try Self.queue("hooks"))
        let admitted = try TaskAdmission.check(task("http", #"{"path":"/x"}"#), cost: .max, key: nil, rules: rules, at: .door)
        #expect(admitted.cost == .max)
    }

    @Test func perKeyField_isTheKey_unlessTheTaskGivesOne() throws {
        let rules = AdmissionRules(queue: try Self.queue("twilio-api"))
        let sms = try task("send_sms", #"{"To":"+1","From":"+15550199","Body":"hi"}"#)
        #expect(try TaskAdmission.check(sms, cost: nil, key: nil, rules: rules, at: .door).key == "+15550199")
        #expect(try TaskAdmission.check(sms, cost: nil, key: "mine", rules: rules, at: .door).key == "mine")
    }

    /// A 1 MiB task whose form body would be gigabytes (a long key over many
    /// leaves) is refused while it is encoded, in bounded time and memory.
    @Test func formBomb_isRefusedWithoutBuildingTheBody() throws {
        let key = String(repeating: "k", count: 200_000)
        let leaves = Array(repeating: "1", count: 400_000).joined(separator: ",")
        let payload = #"{"amount":1,"currency":"usd","metadata":{"\#(key)":[\#(leaves)]}}"#
        #expect(payload.utf8.count < TaskRequest.maximumSize)
        let bomb = try task("create_payment", payload)
        let started = ContinuousClock.now
        let error = try #require(throws: TaskRejected.self) {
            try StripeProvider(baseURL: Self.base).request(for: bomb, credential: nil)
        }
        #expect(error.reason.hasPrefix("payload: encodes to a form body over 4194304 bytes"))
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func formEncoding_isUnchanged_forOrdinaryPayloads() throws {
        let object = try task("x", #"{"amount":2000,"metadata":{"order id":"42/a"},"items":[{"price":"p_1"},true,null]}"#).payload
        #expect(String(decoding: try FormEncoding.encode(object), as: UTF8.self)
                == "amount=2000&metadata%5Border%20id%5D=42%2Fa&items%5B0%5D%5Bprice%5D=p_1&items%5B1%5D=true&items%5B2%5D=")
    }
}
