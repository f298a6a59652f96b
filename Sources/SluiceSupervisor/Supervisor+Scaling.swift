import Glibc
import SluiceControl
import SluicePOSIX

extension Supervisor {
    /// Carries out the control plane's scale requests: new workers start on
    /// the loop's next turn; extra ones are told to drain (SIGTERM) and are
    /// removed once they exit. Answers every request.
    func answerScaleRequests() {
        for request in fleetState.takeScaleRequests() {
            guard draining == nil else {
                request.answer(.refused("the fleet is draining"))
                continue
            }
            let current = workers.indices.filter { workers[$0].queue == request.queue && !workers[$0].retiring }
            // Saved first, in the order requests are applied, so a restart
            // runs what is running now.
            do {
                try controlPlane.saveProcesses(request.processes, queue: request.queue)
            } catch {
                request.answer(.refused("cannot save the new process count: \(error)"))
                continue
            }
            if request.processes > current.count {
                var ordinal = (workers.filter { $0.queue == request.queue }.map(\.ordinal).max() ?? -1) + 1
                for _ in current.count..<request.processes {
                    workers.append(WorkerProcess(queue: request.queue, ordinal: ordinal, state: .waiting(until: 0)))
                    ordinal += 1
                }
            } else {
                let extra = current.sorted { workers[$0].ordinal > workers[$1].ordinal }.prefix(current.count - request.processes)
                for index in extra { retire(index) }
                workers.removeAll { $0.retiring && $0.pid == nil }
            }
            log.info("queue.scaling", ("queue", request.queue), ("from", "\(current.count)"), ("to", "\(request.processes)"))
            request.answer(.scaled(from: current.count, to: request.processes))
        }
    }

    private func retire(_ index: Int) {
        workers[index].retiring = true
        if case .running(let pid, _) = workers[index].state {
            kill(pid, SIGTERM)
            workers[index].state = .stopping(pid: pid)
            // As at shutdown: the drain's time, a little more to exit, then SIGKILL.
            workers[index].retireDeadline = MonotonicClock.now() + config.shutdownTimeout + 3_000_000_000
        }
    }

    /// SIGKILLs retired workers that outlived their drain (a wedged process
    /// must not keep its leases forever); reaping frees what they held.
    func killOverdueRetirees() {
        let now = MonotonicClock.now()
        for index in workers.indices {
            guard workers[index].retiring, let deadline = workers[index].retireDeadline, now > deadline,
                  let pid = workers[index].pid else { continue }
            log.warn("worker.killed", ("queue", workers[index].queue), ("pid", "\(pid)"), ("reason", "scaled down; drain timeout"))
            kill(pid, SIGKILL)
            workers[index].retireDeadline = nil
        }
    }

    /// Each queue's workers by state, for `/metrics`, `/readyz` and describe.
    func workerTallies() -> [String: WorkerTally] {
        var tallies: [String: WorkerTally] = [:]
        for queue in config.queues { tallies[queue.name.rawValue] = WorkerTally() }
        for worker in workers {
            var tally = tallies[worker.queue, default: WorkerTally()]
            if !worker.retiring { tally.desired += 1 }
            switch worker.state {
            case .running: tally.running += 1
            case .waiting: tally.starting += 1
            case .stopping: tally.stopping += 1
            case .gaveUp: tally.gaveUp += 1
            case .stopped: break
            }
            tallies[worker.queue] = tally
        }
        for (queue, restarts) in restartsByQueue { tallies[queue, default: WorkerTally()].restarts = restarts }
        return tallies
    }
}
