import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';
import type { Runner } from '../runtime/process.js';
import type { ProcessIdentity } from '../runtime/process-identity.js';
import type { Store } from '../store/contract.js';
import type { EventBus } from './events.js';
import type { StatePaths } from './stage.js';

export const STATE_DIR = '.shipgate';

/** The effects a pipeline run uses; the library and CLI pass real ones, tests may pass their own. */
export interface PipelineDeps {
  store: Store;
  clock: Clock;
  http: HttpClient;
  run: Runner;
  bus: EventBus;
  identity: ProcessIdentity;
  env: NodeJS.ProcessEnv;
}

/** How a run may be stopped and how long it may wait. */
export interface RunControl {
  /** Stop at the next safe point, then undo (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Kill running commands too (a second interrupt). */
  killSignal: AbortSignal;
  /** Wait this long for the lock. @default 0 */
  lockWaitMs?: number;
  /** Deadline of the whole deployment; overrides the config's `timeout`. */
  timeoutMs?: number;
}

export function statePaths(loaded: LoadedConfig): StatePaths {
  const stateDir = join(loaded.root, STATE_DIR);
  return { root: loaded.root, stateDir, releasesDir: join(stateDir, 'releases'), recordsDir: join(stateDir, 'records'), reportsDir: join(stateDir, 'reports') };
}
