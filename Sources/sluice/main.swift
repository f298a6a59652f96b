import Glibc
import SluiceCLI

exit(SluiceMain.run(Array(CommandLine.arguments.dropFirst())))
