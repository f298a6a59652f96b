/// The spool's operator commands (`enqueue`, `queue …`, `task …`, `dead …`, `bench spool`).
let spoolCommands: [Command] = []
