import Dispatch

/// Where handlers run: a concurrent Dispatch queue of the server's own, made
/// a Swift task executor, instead of the global cooperative pool.
///
/// The cooperative pool has one thread per core; code elsewhere in the
/// process that blocks a few of them (a synchronous fsync, a waitpid, a test
/// blocking in recv) would otherwise stall every answer, /metrics included.
/// Dispatch adds threads to this queue when its threads block, so a handler
/// that must block (an fsync before answering 202) delays only its own answer.
final class HandlerExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
