/**
 * The process groups of the commands this process runs now (the runner adds and
 * removes them). Its own module so the CLI's process guard can end them without
 * loading the runner at every start.
 */
const running = new Set<number>();

export const runningGroups: ReadonlySet<number> = running;

export function trackGroup(pgid: number): () => void {
  running.add(pgid);
  return () => running.delete(pgid);
}
