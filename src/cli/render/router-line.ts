import type { RouterReport } from '../../agent/contract.js';
import { describeWeights } from '../../agent/describe.js';
import type { Output } from '../output.js';

/** `serving 127.0.0.1:3000 with the last weights v1=100% (pid 12, keeper 11)`, or `DOWN on 127.0.0.1:3000 (why)`. */
export function routerText(r: RouterReport, out: Output, agentDown: boolean): string {
  if (r.state === 'not_running') return 'not running';
  if (r.state === 'down') return `${out.paint('red', 'DOWN')}${r.listen ? ` on ${r.listen}` : ''} (${r.error ?? 'no answer'})`;
  const p = r.process!;
  const who = `pid ${p.pid}, ${p.keeperPid === null ? 'keeper gone: not restarted if it dies' : `keeper ${p.keeperPid}`}${p.restarts > 0 ? `, restarted ${p.restarts}x` : ''}`;
  return `serving ${p.listen} ${agentDown ? 'with the last weights' : 'with'} ${describeWeights(p.weights)} (${who})`;
}
