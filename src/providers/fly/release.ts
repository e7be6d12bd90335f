import type { FlyClient, FlyEvent, FlyMachineConfig } from './client.js';
import { MAX_WAIT_SECONDS } from './client.js';
import type { Clock } from '../../runtime/clock.js';

/** Pure: the exit code a run-to-completion machine left in its newest `exit` event; null when there is none. */
export function exitCodeOf(events: readonly FlyEvent[]): number | null {
  const exit = [...events].sort((a, b) => b.timestamp - a.timestamp).find((e) => e.type === 'exit');
  const code = exit?.request?.exit_event?.exit_code;
  return typeof code === 'number' ? code : null;
}

export interface ReleaseResult {
  machineId: string;
  exitCode: number | null;
}

/**
 * flyctl's release_command: a throwaway machine of the new image runs the
 * command once (`auto_destroy`, no restart) and is gone when it exits; its exit
 * code is read from the machine's last `exit` event.
 */
export async function runReleaseCommand(client: FlyClient, clock: Clock, config: FlyMachineConfig, region: string, timeoutMs: number): Promise<ReleaseResult> {
  const m = await client.create({ config, region });
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const left = deadline - clock.now();
    if (left <= 0) return { machineId: m.id, exitCode: null };
    if (await client.wait(m.id, 'destroyed', Math.min(MAX_WAIT_SECONDS, left / 1000))) break;
  }
  return { machineId: m.id, exitCode: exitCodeOf(await client.events(m.id)) };
}
