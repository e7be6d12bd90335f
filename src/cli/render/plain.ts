import type { EventBus } from '../../pipeline/events.js';
import type { Output } from '../output.js';
import { describeEvent } from './describe-event.js';

/** Outside a TTY (CI): one plain, timestamped line per event. */
export function attachPlainRenderer(bus: EventBus, out: Output): () => void {
  return bus.onAny((e) => {
    const text = describeEvent(e, out.verbose);
    if (text === null) return;
    const time = e.at.slice(11, 19);
    for (const line of text.split('\n')) out.line(`${out.paint('dim', time)} ${colorize(out, e.type, line)}`);
  });
}

export function colorize(out: Output, type: string, line: string): string {
  if (type.endsWith(':failed') || line.includes('FAILED')) return out.paint('red', line);
  if (type === 'deploy:finished') return out.paint('bold', line);
  if (type === 'step:output') return out.paint('dim', line);
  return line;
}
