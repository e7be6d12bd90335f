/** The background senders (`shipgate notify flush`) a project's commands started: found by their files, stopped at cleanup. */
import { liveSenders, type BackgroundSenderInfo } from '../../src/notify/background-sender.js';

export function backgroundSenders(dir: string): BackgroundSenderInfo[] {
  return liveSenders(dir);
}

/** SIGKILLs every background sender still running for the project in `dir` (a test leaves no process behind). */
export function stopBackgroundSenders(dir: string): void {
  for (const s of liveSenders(dir)) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
