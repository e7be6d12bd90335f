/** One timestamped line per event on stdout (the process's log file): `<ISO time> [<role> <pid>] <line>`. */
export function processLogger(role: string): (line: string) => void {
  return (line) => process.stdout.write(`${new Date().toISOString()} [${role} ${process.pid}] ${line}\n`);
}
