import type { HealthTarget } from '../config/schema/index.js';
import { toMs } from '../config/duration.js';
import type { Clock } from '../runtime/clock.js';
import { displayUrl, HttpError, type HttpClient } from '../runtime/http.js';

export interface ProbeResult {
  healthy: boolean;
  /** The URL that answered healthy, or the last one tried. */
  url: string;
  status: number | null;
  attempts: number;
  reason: string;
  ms: number | null;
}

export interface ProbeDeps {
  http: HttpClient;
  clock: Clock;
  signal?: AbortSignal;
}

export function isHealthyStatus(status: number, expect?: number[]): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 400;
}

/** One request to one URL. Never throws for network errors. */
export async function probeOnce(url: string, timeoutMs: number, expect: number[] | undefined, deps: ProbeDeps): Promise<ProbeResult> {
  try {
    const res = await deps.http({ url, timeoutMs, signal: deps.signal });
    const healthy = isHealthyStatus(res.status, expect);
    const reason = healthy ? `HTTP ${res.status}` : `HTTP ${res.status} from ${displayUrl(url)}`;
    return { healthy, url, status: res.status, attempts: 1, reason, ms: Math.round(res.ms) };
  } catch (err) {
    if (err instanceof HttpError && err.kind === 'aborted') throw err;
    return { healthy: false, url, status: null, attempts: 1, reason: `${displayUrl(url)}: ${(err as Error).message}`, ms: null };
  }
}

/** Tries `url`, then `fallbackUrl`, up to `retries` more rounds `interval` apart. */
export async function probeTarget(target: HealthTarget, deps: ProbeDeps): Promise<ProbeResult> {
  const urls = target.fallbackUrl ? [target.url, target.fallbackUrl] : [target.url];
  let last: ProbeResult | undefined;
  const rounds = target.retries + 1;
  for (let round = 1; round <= rounds; round++) {
    for (const url of urls) {
      last = await probeOnce(url, toMs(target.timeout), target.expect, deps);
      if (last.healthy) return { ...last, attempts: round };
    }
    if (round < rounds) await deps.clock.sleep(toMs(target.interval), deps.signal);
  }
  return { ...last!, attempts: rounds, reason: `unhealthy after ${rounds} attempt(s): ${last!.reason}` };
}
