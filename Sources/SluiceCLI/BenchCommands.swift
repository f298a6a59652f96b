/// `sluice bench …`: the measurements behind README's figures.
let benchCommands: [Command] = []
