import type { PrometheusMetricsConfig } from '../../config/schema/index.js';
import type { HttpClient } from '../../runtime/http.js';
import type { MetricsSource, VersionStats } from '../../rollout/contract.js';

const QUERY_TIMEOUT_MS = 10_000;

/** Prometheus's instant-query answer (`/api/v1/query`), the fields read. */
interface PromAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** A query failed, or answered in a shape that is not an instant vector. */
export class PrometheusError extends Error {}

/** `{version}` in a configured query becomes the version (quoted characters are escaped for PromQL strings). */
export function queryFor(template: string, version: string): string {
  return template.split('{version}').join(version.replace(/["\\]/g, '\\$&'));
}

/**
 * The value of an instant query: the sum of the vector's samples (one series
 * per version, usually), null for an empty vector or NaN (no traffic yet).
 */
export function sampleValue(answer: PromAnswer): number | null {
  if (answer.status !== 'success') throw new PrometheusError(`${answer.errorType ?? 'error'}: ${answer.error ?? 'no reason given'}`);
  if (answer.data?.resultType !== 'vector' && answer.data?.resultType !== 'scalar') throw new PrometheusError(`expected a vector, got ${answer.data?.resultType ?? 'nothing'}`);
  const values = answer.data.resultType === 'scalar' ? [Number((answer.data.result as unknown as [number, string])[1])] : answer.data.result.map((s) => Number(s.value[1]));
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? null : finite.reduce((a, b) => a + b, 0);
}

/**
 * The new version's error rate and p95 from Prometheus, as VersionStats for the
 * analysis verdicts. Without a `requests` query every window counts as having
 * `minRequests`: the error-rate query decides.
 */
export function prometheusMetrics(cfg: PrometheusMetricsConfig, http: HttpClient, now: () => number, opts: { minRequests: number; signal?: AbortSignal }): MetricsSource {
  const { signal } = opts;
  const query = async (template: string, version: string): Promise<number | null> => {
    const params = new URLSearchParams({ query: queryFor(template, version), time: (now() / 1000).toFixed(3) });
    const headers: Record<string, string> = { accept: 'application/json' };
    if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
    const res = await http({ method: 'GET', url: `${cfg.url.replace(/\/+$/, '')}/api/v1/query?${params.toString()}`, headers, timeoutMs: QUERY_TIMEOUT_MS, signal });
    let answer: PromAnswer;
    try {
      answer = JSON.parse(res.body) as PromAnswer;
    } catch {
      throw new PrometheusError(`Prometheus answered ${res.status} without JSON`);
    }
    return sampleValue(answer);
  };
  return {
    async stats(version, windowMs): Promise<VersionStats> {
      const errorRate = (await query(cfg.errorRate, version)) ?? 0;
      const p95s = cfg.p95 ? await query(cfg.p95, version) : null;
      const requests = cfg.requests ? Math.round((await query(cfg.requests, version)) ?? 0) : opts.minRequests;
      return { version, windowMs, requests, errors5xx: 0, connErrors: 0, errorRate, p50: null, p95: p95s === null ? null : Math.round(p95s * 1000), p99: null };
    },
  };
}
