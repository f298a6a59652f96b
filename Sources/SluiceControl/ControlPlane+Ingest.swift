import Glibc
import SluiceHTTP
import SluiceConfig
import SluiceJSON
import SluiceProviders
import SluiceSpool

extension ControlPlane {
    /// `POST /v1/queues/{queue}/tasks`: one JSON task, or NDJSON (one task
    /// per line, `Content-Type: application/x-ndjson`).
    ///
    /// All or nothing: every line is validated before anything is written,
    /// and the first bad one is named (400). 202 comes only once the batch is
    /// on disk (file and directory synced). A task whose id is already in the
    /// spool is not enqueued again: its id is answered with `"existing"`, so
    /// a producer can retry a request whose answer it lost (idempotent ids).
    func ingest(_ request: HTTPRequest, into queue: Queue) throws(ControlError) -> HTTPResponse {
        guard !state.isDraining else { throw .unavailable(Self.drainingMessage) }
        let requests = try Self.parseTasks(request, queue: queue.config, maximumBatchCount: queue.spool.options.maximumBatchCount)
        let outcomes: [EnqueueOutcome]
        do {
            outcomes = try queue.spool.enqueue(requests, expandingNow: true)
        } catch {
            if error.batchTooLarge {
                // Strings escaped in the spool's JSON (DEL, C1 controls) can make the
                // records far larger than the body: the client's to split, never a 500.
                throw .tooLarge("\(error.description) (send smaller batches); nothing from this request was queued")
            }
            if let errno = error.systemError?.errno, errno == ENOSPC || errno == EDQUOT {
                throw .diskFull("the spool's file system is full: nothing from this request was queued; free space and retry")
            }
            if let errno = error.systemError?.errno, errno == EMFILE || errno == ENFILE {
                throw .unavailable("the supervisor is out of file descriptors (raise LimitNOFILE or ulimit -n): nothing from this request was queued; retry shortly")
            }
            throw .storage("the spool could not take the tasks: \(error.description); nothing from this request was queued")
        }
        queue.handle.taskStatistics.enqueued(outcomes.count { if case .accepted = $0 { true } else { false } })
        let tasks: [JSONValue] = outcomes.map { outcome in
            switch outcome {
            case .accepted(let id): .object([("id", .string(id.rawValue)), ("status", .string("accepted"))])
            case .existing(let id, let status):
                .object([("id", .string(id.rawValue)), ("status", .string("existing")), ("state", .string(orNull: status?.state.word))])
            }
        }
        return .json(.accepted, JSONWriter.bytes(.object([("tasks", .array(tasks))])))
    }

    /// Whether `request` carries NDJSON (true) or one JSON task (false), from
    /// its `Content-Type` (none means JSON); any other type is 415, with the fix.
    static func ingestFormat(_ request: HTTPRequest) throws(ControlError) -> Bool {
        let contentType = (request.headers["Content-Type"] ?? "application/json").lowercased()
        let essence = String(contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" })
        switch essence {
        case "application/x-ndjson", "application/jsonl": return true
        case "application/json": return false
        default:
            throw .unsupportedMediaType("Content-Type \(HeaderBytes.shown(contentType)) is not accepted: send Content-Type: application/json "
                                        + "for one task (curl: -H 'Content-Type: application/json'), or application/x-ndjson for one task per line")
        }
    }

    /// The tasks in `request`, each judged at the door (`TaskAdmission`)
    /// exactly as the queue's workers will judge it; the first refusal names
    /// its line (NDJSON), its field and the fix, and nothing is queued.
    /// Pure: it reads nothing but its arguments (fuzzed as `door`).
    ///
    /// The bodies judged for one request are bounded together by
    /// `maximumBatchRequestBytes`: each task's body is at most 4 MiB, but a
    /// form can be hundreds of times its task, and 8 MiB of such lines would
    /// otherwise cost the listener gigabytes of writing.
    static func parseTasks(_ request: HTTPRequest, queue: QueueConfig, maximumBatchCount: Int,
                           maximumBatchRequestBytes: Int = 64 << 20) throws(ControlError) -> [TaskRequest] {
        let rules = AdmissionRules(queue: queue)
        let ndjson = try ingestFormat(request)
        guard ndjson else {
            let task: TaskRequest
            do {
                task = try TaskRequest(parsing: request.body, queue: queue.name)
            } catch {
                throw .badRequest("\(error) (for several tasks send one per line with Content-Type: application/x-ndjson)")
            }
            do {
                _ = try TaskAdmission.check(task, rules: rules)
            } catch {
                throw .badRequest("\(error); nothing was queued")
            }
            return [task]
        }
        var tasks: [TaskRequest] = []
        var built = 0
        var lineNumber = 0
        for line in request.body.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            guard tasks.count < maximumBatchCount else {
                throw .tooLarge("more than \(maximumBatchCount) tasks in one request: send them in smaller batches; nothing was queued")
            }
            let task: TaskRequest
            do {
                task = try TaskRequest(parsing: line, queue: queue.name)
                built += try TaskAdmission.check(task, rules: rules).request.body.count
            } catch {
                throw .badRequest("line \(lineNumber): \(error); nothing was queued")
            }
            guard built <= maximumBatchRequestBytes else {
                throw .tooLarge("line \(lineNumber): the requests built so far for this batch hold over \(maximumBatchRequestBytes >> 20) MiB of bodies "
                                + "(a form repeats nested names in every field): send smaller batches; nothing was queued")
            }
            tasks.append(task)
        }
        guard !tasks.isEmpty else { throw .badRequest("the body holds no task") }
        return tasks
    }
}
