import { join } from 'node:path';
import { acknowledgeFailure } from '../../pipeline/acknowledge.js';
import { wire } from '../../pipeline/wiring.js';
import { resolveActor } from '../../runtime/actor.js';
import { systemClock } from '../../runtime/clock.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import type { EventContext } from '../../pipeline/events.js';

export interface AckFlags extends GlobalOptions {
  reason?: string;
  actor?: string;
}

/**
 * `shipgate ack <id> --reason "…"`: lifts the stop sign a `rollback_failed`
 * deployment puts on its environment, recording who looked and what they found.
 * Needs no deploy secrets (the light config, like `approve`).
 */
export async function ackCommand(id: string, flags: AckFlags, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const w = await wire({ storeUrl: settings.storeUrl, root: settings.root });
  const { store } = w;
  try {
    const deps = { store, clock: systemClock, masker: settings.masker, journal: (context: EventContext) => w.journal(context, settings.masker), recordsDir: join(settings.root, '.shipgate', 'records') };
    const { acknowledgement: a, already } = await acknowledgeFailure(settings.app, { deploymentId: id, by: resolveActor(flags.actor), reason: flags.reason ?? '' }, deps);
    const left = await store.listUnacknowledgedFailures(settings.app, (await store.getDeployment(id))!.environment);
    if (out.json) out.result({ deployment_id: a.deploymentId, acknowledged_by: a.by, reason: a.reason, at: a.at, already, still_stopped_by: left.map((d) => d.id) });
    else {
      out.line(already ? `${id} was already acknowledged by ${a.by} at ${a.at}: ${a.reason}` : `acknowledged ${id} as ${a.by}: ${a.reason}`);
      out.line(left.length > 0 ? `still stopped by: ${left.map((d) => d.id).join(', ')} (shipgate status)` : 'deploys and rollbacks of this environment may start again');
    }
    return EXIT.ok;
  } finally {
    await w.close();
  }
}
