/**
 * Pure: what a monitor rule's samples say (failing, passing, or too little to tell), and
 * whether that opens or resolves its alert. Time comes in as numbers; nothing here waits.
 */

/** One probe of a health URL. */
export interface ProbeSample {
  /** Unix ms. */
  at: number;
  ok: boolean;
  /** `HTTP 503 from …`, a connection error … (already masked). */
  reason: string;
}

export interface Condition {
  /** `unknown`: too few samples to tell; the alert stays as it is. */
  state: 'failing' | 'passing' | 'unknown';
  /** The figure the rule compares (a percentage, or failed probes in a row). */
  value: number | null;
  summary: string;
}

export interface RuleState {
  /** This server believes the rule's alert is open. */
  firing: boolean;
  /** It may fire: false after a person resolved the alert through the API while the rule still failed, until it recovers. */
  armed: boolean;
}

export const INITIAL_RULE_STATE: RuleState = { firing: false, armed: true };

export type AlertAction = 'fire' | 'resolve' | null;

const pct = (n: number): string => `${(Math.round(n * 100) / 100).toString()}%`;

function trailing(samples: readonly ProbeSample[], n: number, ok: boolean): boolean {
  return samples.length >= n && samples.slice(-n).every((s) => s.ok === ok);
}

/** A health URL fires after `failures` failed probes in a row and recovers after `successes` healthy ones. */
export function healthCondition(rule: { url: string; failures: number; successes: number }, samples: readonly ProbeSample[]): Condition {
  const last = samples.at(-1);
  if (last !== undefined && trailing(samples, rule.failures, false)) {
    return { state: 'failing', value: rule.failures, summary: `${rule.url} failed ${rule.failures} probe${rule.failures === 1 ? '' : 's'} in a row (last: ${last.reason})` };
  }
  if (trailing(samples, rule.successes, true)) return { state: 'passing', value: 0, summary: `${rule.url} is healthy` };
  return { state: 'unknown', value: null, summary: `${rule.url}: not enough probes in a row to tell` };
}

/** The share of healthy probes within `windowMs` before `now`, against `threshold` percent. */
export function uptimeCondition(rule: { url: string; threshold: number; windowMs: number; minSamples: number }, samples: readonly ProbeSample[], now: number): Condition {
  const inWindow = samples.filter((s) => s.at > now - rule.windowMs && s.at <= now);
  if (inWindow.length < rule.minSamples) return { state: 'unknown', value: null, summary: `${inWindow.length} probe(s) of ${rule.url} in the window (fewer than ${rule.minSamples})` };
  const healthy = inWindow.filter((s) => s.ok).length;
  const uptime = (healthy / inWindow.length) * 100;
  const figures = `uptime of ${rule.url} is ${pct(uptime)} (${healthy} of ${inWindow.length} probes healthy)`;
  return uptime < rule.threshold ? { state: 'failing', value: uptime, summary: `${figures}, below ${pct(rule.threshold)}` } : { state: 'passing', value: uptime, summary: figures };
}

/** Errors over requests reported in the window, against `threshold` percent (seed 002: above 1% fires). */
export function errorRateCondition(rule: { threshold: number; minRequests: number }, totals: { requests: number; errors: number }): Condition {
  if (totals.requests < rule.minRequests) return { state: 'unknown', value: null, summary: `${totals.requests} request(s) in the window (fewer than ${rule.minRequests})` };
  const rate = (totals.errors / totals.requests) * 100;
  const figures = `error rate ${pct(rate)} (${totals.errors} of ${totals.requests} requests)`;
  return rate > rule.threshold ? { state: 'failing', value: rate, summary: `${figures} is above ${pct(rule.threshold)}` } : { state: 'passing', value: rate, summary: figures };
}

/**
 * The next state and what to do. `storeFiring` is whether the store holds a firing alert of the
 * rule: it wins over what this server believed (the API resolved it, or another server or an
 * earlier run of this one opened it).
 */
export function decide(state: RuleState, condition: Condition, storeFiring: boolean): { state: RuleState; action: AlertAction } {
  let s = state;
  if (s.firing && !storeFiring) s = { firing: false, armed: false };
  if (!s.firing && storeFiring) s = { firing: true, armed: false };
  if (condition.state === 'failing') return !s.firing && s.armed ? { state: { firing: true, armed: false }, action: 'fire' } : { state: s, action: null };
  if (condition.state === 'passing') return { state: { firing: false, armed: true }, action: s.firing ? 'resolve' : null };
  return { state: s, action: null };
}

/** The samples still needed: those within `keepMs`, and at least the newest `keepCount`. */
export function keepSamples(samples: readonly ProbeSample[], sample: ProbeSample, keepMs: number, keepCount: number): ProbeSample[] {
  const all = [...samples, sample];
  const recent = all.filter((s) => s.at > sample.at - keepMs);
  return recent.length >= keepCount ? recent : all.slice(-keepCount);
}
