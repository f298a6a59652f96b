/// The spool's operator commands (`enqueue`, `queue …`, `task …`, `dead …`, `bench spool`).
///
/// All of them work on the spool directory directly, so they work whether
/// or not the fleet is running.
let spoolCommands: [Command] = [
    spoolEnqueueCommand,
    spoolQueueDescribeCommand,
    spoolQueueListCommand,
    spoolQueueResetCommand,
    spoolTaskShowCommand,
    spoolTaskResetCommand,
    spoolDeadListCommand,
    spoolDeadReplayCommand,
    spoolBenchCommand,
    spoolBenchWorkerCommand,
]
