/// The spool's operator commands (`enqueue`, `queue …`, `task …`, `dead …`, `bench spool`).
///
/// All of them work on the spool directory directly, so they work whether
/// or not the fleet is running; `queue describe` and `queue reset` go
/// through the running fleet's API when there is one.
let spoolCommands: [Command] = [
    spoolEnqueueCommand,
    spoolQueueDescribeCommand,
    spoolQueueListCommand,
    spoolQueueResetCommand,
    spoolTaskShowCommand,
    spoolTaskResetCommand,
    spoolTaskWaitCommand,
    spoolDeadListCommand,
    spoolDeadReplayCommand,
    spoolBenchCommand,
    spoolBenchWorkerCommand,
]
