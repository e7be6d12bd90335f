import { isDeepStrictEqual } from 'node:util';
import { toMs } from '../config/duration.js';
import type { SmokeTest } from '../config/schema/index.js';
import type { Clock } from '../runtime/clock.js';
import { displayUrl, HttpError, type HttpClient, type HttpResponse } from '../runtime/http.js';

export const SMOKE_RETRY_DELAY_MS = 1000;

export interface SmokeResult {
  name: string;
  passed: boolean;
  status: number | null;
  ms: number | null;
  attempts: number;
  reason: string;
}

/** Pure: does this response satisfy the test? Returns the reason it does not. */
export function judgeSmokeResponse(test: SmokeTest, res: Pick<HttpResponse, 'status' | 'body'>): string | null {
  if (!test.expect.includes(res.status)) return `HTTP ${res.status}, expected ${test.expect.join(' or ')}`;
  if (test.contains !== undefined && !res.body.includes(test.contains)) return `body does not contain ${JSON.stringify(test.contains)}`;
  if (test.json !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return 'body is not JSON';
    }
    const mismatch = firstMismatch(test.json, body, '');
    if (mismatch) return mismatch;
  }
  return null;
}

/** Subset match: every field of `want` must equal the same field of `got` (objects recurse). */
function firstMismatch(want: unknown, got: unknown, path: string): string | null {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return `body${path} is not an object`;
    for (const [k, v] of Object.entries(want)) {
      const m = firstMismatch(v, (got as Record<string, unknown>)[k], `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return isDeepStrictEqual(want, got) ? null : `body${path} is ${JSON.stringify(got) ?? 'missing'}, expected ${JSON.stringify(want)}`;
}

export async function runSmokeTest(test: SmokeTest, deps: { http: HttpClient; clock: Clock; signal?: AbortSignal }): Promise<SmokeResult> {
  let last: SmokeResult = { name: test.name, passed: false, status: null, ms: null, attempts: 0, reason: 'not run' };
  for (let attempt = 1; attempt <= test.retries + 1; attempt++) {
    if (attempt > 1) await deps.clock.sleep(SMOKE_RETRY_DELAY_MS, deps.signal);
    try {
      const res = await deps.http({ method: test.method, url: test.url, headers: test.headers, body: test.body, timeoutMs: toMs(test.timeout), signal: deps.signal });
      const why = judgeSmokeResponse(test, res);
      last = { name: test.name, passed: why === null, status: res.status, ms: Math.round(res.ms), attempts: attempt, reason: why ?? `HTTP ${res.status}` };
    } catch (err) {
      if (err instanceof HttpError && err.kind === 'aborted') throw err;
      last = { name: test.name, passed: false, status: null, ms: null, attempts: attempt, reason: `${displayUrl(test.url)}: ${(err as Error).message}` };
    }
    if (last.passed) return last;
  }
  return last;
}
