import { MAX_SIGNAL_WAIT_MS } from '../contract.js';

/**
 * Drivers waiting for a rollout signal (a command, the dead-man switch, an
 * ejection of the candidate): each wait ends when `wake()` is called or its
 * time is up, whichever comes first.
 */
export class SignalWaiters {
  private waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_SIGNAL_WAIT_MS));
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
