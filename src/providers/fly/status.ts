import type { LoadedConfig } from '../../config/load.js';
import { errorMessage } from '../../errors.js';
import { systemClock } from '../../runtime/clock.js';
import { fetchHttp } from '../../runtime/http.js';
import type { TargetStatus } from '../command/status.js';
import { FlyClient, type FlyMachine } from './client.js';
import { FLY_TOKEN_ENV } from './fly-provider.js';
import { isStandby, STANDBY_KEY, versionOf } from './machine-config.js';
import { keptUntil } from './standby.js';

/** Pure: one line per machine: id, region, state, version, image, checks. */
export function machineLines(machines: readonly FlyMachine[], nowMs: number): string[] {
  const shown = machines.filter((m) => m.state !== 'destroyed');
  if (shown.length === 0) return ['no machines'];
  return shown.map((m) => {
    const checks = m.checks ?? [];
    const passing = checks.filter((c) => c.status === 'passing').length;
    const failing = checks.filter((c) => c.status !== 'passing').map((c) => `${c.name} ${c.status}`);
    const checkText = checks.length === 0 ? 'no checks' : `checks ${passing}/${checks.length} passing${failing.length ? ` (${failing.join(', ')})` : ''}`;
    const until = m.config.metadata?.[STANDBY_KEY] ?? '?';
    const role = !isStandby(m) ? '' : keptUntil(m) > nowMs ? `, kept for rollback until ${until}` : `, rollback window closed at ${until}: \`shipgate serve\` or the next deploy destroys it`;
    return `${m.id} ${m.region ?? '?'} ${m.state} ${versionOf(m) ?? '(not deployed by shipgate)'} ${m.config.image} ${checkText}${role}`;
  });
}

/** What `shipgate status` shows for a Fly.io environment: the app's machines as the Machines API lists them. */
export async function flyStatus(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<TargetStatus> {
  const provider = loaded.config.provider;
  if (provider.type !== 'fly') return { ok: false, output: [], error: 'not a fly provider', source: 'fly' };
  const token = env[FLY_TOKEN_ENV];
  if (!token) return { ok: false, output: [], error: `${FLY_TOKEN_ENV} is not set`, source: 'fly' };
  try {
    const client = new FlyClient({ apiUrl: provider.apiUrl, app: provider.app, token, http: fetchHttp, clock: systemClock });
    return { ok: true, output: [`fly app ${provider.app}:`, ...machineLines(await client.list(), Date.now())].map((l) => loaded.masker.mask(l)), error: null, source: 'fly' };
  } catch (err) {
    return { ok: false, output: [], error: loaded.masker.mask(errorMessage(err)), source: 'fly' };
  }
}
