import { Cancelled } from '../errors.js';
import type { Output } from './output.js';

export interface Interrupts {
  signal: AbortSignal;
  killSignal: AbortSignal;
  dispose(): void;
}

/**
 * First SIGINT/SIGTERM: stop at the next safe point and undo. Second: also kill
 * the running command. Undo itself is not interrupted: a SIGKILL leaves an
 * interrupted deployment that the next shipgate call finishes.
 */
export function trapInterrupts(out: Output): Interrupts {
  const soft = new AbortController();
  const hard = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      out.err(`${sig}: stopping at the next safe point, then undoing what began (send it again to kill the running command)`);
      soft.abort(new Cancelled(`cancelled by ${sig}`));
    } else if (count === 2) {
      out.err(`${sig}: killing the running command; undo still runs`);
      hard.abort(new Cancelled(`killed by a second ${sig}`));
    } else {
      out.err(`${sig}: undo is running; SIGKILL would leave an interrupted deployment for the next shipgate call to finish`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: soft.signal,
    killSignal: hard.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
