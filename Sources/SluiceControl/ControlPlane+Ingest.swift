import Glibc
import SluiceHTTP
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
        let requests = try Self.parseTasks(request, queue: queue)
        let outcomes: [EnqueueOutcome]
        do {
            outcomes = try queue.spool.enqueue(requests, expandingNow: true)
        } catch {
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
    /// its `Content-Type`; any other type is refused.
    static func ingestFormat(_ request: HTTPRequest) throws(ControlError) -> Bool {
        let contentType = (request.headers["Content-Type"] ?? "application/json").lowercased()
        let ndjson = contentType.hasPrefix("application/x-ndjson") || contentType.hasPrefix("application/jsonl")
        guard ndjson || contentType.hasPrefix("application/json") else {
            throw .badRequest("Content-Type \(contentType) is not accepted: send application/json (one task) or application/x-ndjson (one task per line)")
        }
        return ndjson
    }

    static func parseTasks(_ request: HTTPRequest, queue: Queue) throws(ControlError) -> [TaskRequest] {
        let ndjson = try ingestFormat(request)
        guard ndjson else {
            let task: TaskRequest
            do {
                task = try TaskRequest(parsing: request.body, queue: queue.config.name)
            } catch {
                throw .badRequest("\(error) (for several tasks send one per line with Content-Type: application/x-ndjson)")
            }
            if let refusal = CostAdmission.refusal(kind: task.kind, payload: task.payload, cost: task.cost, queue: queue.config) {
                throw .badRequest("\(refusal); nothing was queued")
            }
            return [task]
        }
        var tasks: [TaskRequest] = []
        var lineNumber = 0
        for line in request.body.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            guard tasks.count < queue.spool.options.maximumBatchCount else {
                throw .tooLarge("more than \(queue.spool.options.maximumBatchCount) tasks in one request: send them in smaller batches; nothing was queued")
            }
            let task: TaskRequest
            do {
                task = try TaskRequest(parsing: line, queue: queue.config.name)
            } catch {
                throw .badRequest("line \(lineNumber): \(error); nothing was queued")
            }
            if let refusal = CostAdmission.refusal(kind: task.kind, payload: task.payload, cost: task.cost, queue: queue.config) {
                throw .badRequest("line \(lineNumber): \(refusal); nothing was queued")
            }
            tasks.append(task)
        }
        guard !tasks.isEmpty else { throw .badRequest("the body holds no task") }
        return tasks
    }
}
