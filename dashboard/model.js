// The dashboard's pure parts: the SSE parser, the rollout state built from journal
// events, and the words and numbers the page shows. No DOM, no fetch: unit-tested in Node.

/** The statuses a deployment can have (the history filter offers these). */
export const STATUSES = ['running', 'awaiting_approval', 'succeeded', 'failed', 'blocked', 'rolled_back', 'rollback_failed', 'cancelled'];

/** A server-sent events parser fed text chunks as they arrive; returns the complete messages. */
export class SseParser {
  constructor() {
    this.buffer = '';
  }

  /** @param {string} chunk @returns {{ id: string | null, event: string, data: string }[]} */
  push(chunk) {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const messages = [];
    let end;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message = parseBlock(block);
      if (message) messages.push(message);
    }
    return messages;
  }
}

function parseBlock(block) {
  let id = null;
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { id, event, data: data.join('\n') };
}

/** A fresh rollout view of a deployment that just started. */
export function startedRollout(event) {
  const d = event.data ?? {};
  const ctx = event.context ?? {};
  return {
    deploymentId: event.deploymentId,
    environment: d.environment ?? ctx.environment ?? '',
    kind: d.kind ?? ctx.kind ?? 'deploy',
    version: d.version ?? ctx.version ?? '',
    previousVersion: d.previousVersion ?? null,
    status: 'running',
    stage: null,
    step: null,
    stepStatus: null,
    paused: false,
    weights: {},
    weightHistory: [],
    stats: {},
    verdict: null,
    reasons: [],
    failures: 0,
    failureLimit: null,
    error: null,
    lastSeq: event.seq ?? 0,
    updatedAt: event.at ?? null,
  };
}

const sameWeights = (a, b) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function withWeights(state, weights, reason) {
  if (!weights || typeof weights !== 'object') return state;
  const last = state.weightHistory.at(-1);
  const weightHistory = last && sameWeights(last.weights, weights) ? state.weightHistory : [...state.weightHistory, { weights: { ...weights }, reason }];
  return { ...state, weights: { ...weights }, weightHistory };
}

function versionStats(s) {
  return { requests: s.requests ?? 0, errorRate: s.errorRate ?? null, p95: s.p95 ?? null, ejected: s.ejected === true };
}

/**
 * The rollout view after one more journal event of its deployment. Pure; an event already
 * applied (seq not above the last one) changes nothing, so a replay and the live stream can overlap.
 */
export function applyEvent(state, event) {
  if (event.seq !== undefined && state.lastSeq !== undefined && event.seq <= state.lastSeq && event.type !== 'deploy:started') return state;
  const d = event.data ?? {};
  const next = { ...state, lastSeq: event.seq ?? state.lastSeq, updatedAt: event.at ?? state.updatedAt };
  switch (event.type) {
    case 'stage:started':
      return { ...next, stage: d.stage ?? event.stage };
    case 'rollout:step':
      return withWeights({ ...next, step: d.step, stepStatus: d.status, trafficPercentage: d.trafficPercentage }, d.weights, `step ${d.step} ${d.status}`);
    case 'rollout:weights':
      return withWeights(next, d.weights, d.reason ?? '');
    case 'rollout:evaluation': {
      const e = d.evaluation ?? {};
      const stats = { ...next.stats };
      for (const s of [e.candidate, e.stable]) if (s && s.version) stats[s.version] = versionStats(s);
      return { ...next, stats, verdict: e.verdict ?? null, reasons: e.reasons ?? [], failures: d.failures ?? next.failures, failureLimit: d.failureLimit ?? next.failureLimit };
    }
    case 'rollout:paused':
      return { ...next, paused: true };
    case 'rollout:resumed':
      return { ...next, paused: false };
    case 'deploy:finished':
      return { ...next, status: d.status ?? 'finished', error: d.error ?? null, stage: null };
    default:
      return next;
  }
}

/** The rows of a rollout's table: every version it weighs or measured, the candidate first. */
export function versionRows(state) {
  const names = [state.version, state.previousVersion, ...Object.keys(state.weights), ...Object.keys(state.stats)].filter((v) => typeof v === 'string' && v !== '');
  return [...new Set(names)].map((version) => ({
    version,
    role: version === state.version ? 'candidate' : version === state.previousVersion ? 'stable' : '',
    weight: state.weights[version] ?? 0,
    stats: state.stats[version] ?? null,
  }));
}

export function formatWeights(weights) {
  const entries = Object.entries(weights).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? 'none' : entries.map(([v, w]) => `${v} ${w}%`).join(' · ');
}

export function formatPercent(ratio, digits = 1) {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? '–' : `${(ratio * 100).toFixed(digits)}%`;
}

export function formatMs(ms) {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '–' : `${Math.round(ms)} ms`;
}

/** 95 s -> "1m 35s"; null -> "–". */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function duration(startedAt, finishedAt) {
  if (!startedAt || !finishedAt) return null;
  return (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
}

/** `rolled_back` -> `rolled back`. */
export function statusWords(status) {
  return String(status ?? '').replace(/_/g, ' ');
}

/** One line of a deployment's timeline for a journal event. */
export function describeEvent(event) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'deploy:started':
      return `${d.kind ?? 'deploy'} ${d.version ?? ''} started${d.previousVersion ? ` (live: ${d.previousVersion})` : ''}`;
    case 'gate:evaluated':
      return `gate ${d.gate?.name ?? ''}: ${d.gate?.result ?? ''}${d.gate?.reason ? ` — ${d.gate.reason}` : ''}`;
    case 'stage:started':
      return `stage ${d.stage ?? event.stage} started`;
    case 'stage:finished':
      return `stage ${d.stage ?? event.stage} finished in ${formatSeconds((d.durationMs ?? 0) / 1000)}`;
    case 'stage:failed':
      return `stage ${d.stage ?? event.stage} failed: ${d.error ?? ''}`;
    case 'step:started':
      return `${d.step ?? ''} started${d.detail ? `: ${d.detail}` : ''}`;
    case 'step:finished':
      return `${d.step ?? ''} finished${d.detail ? `: ${d.detail}` : ''}`;
    case 'step:failed':
      return `${d.step ?? ''} failed: ${d.error ?? ''}`;
    case 'rollout:step':
      return `rollout ${d.step} ${d.status} at ${d.trafficPercentage}%: ${formatWeights(d.weights ?? {})}`;
    case 'rollout:weights':
      return `weights ${formatWeights(d.weights ?? {})}${d.reason ? ` (${d.reason})` : ''}`;
    case 'rollout:evaluation': {
      const e = d.evaluation ?? {};
      return `analysis ${e.step ?? ''}: ${e.verdict ?? ''}${e.reasons?.length ? ` — ${e.reasons.join('; ')}` : ''}`;
    }
    case 'rollout:paused':
      return `rollout paused in ${d.step} (${d.reason})`;
    case 'rollout:resumed':
      return `rollout resumed in ${d.step}`;
    case 'undo:started':
      return `undo ${d.stage ?? event.stage} started`;
    case 'undo:finished':
      return `undo ${d.stage ?? event.stage}: ${d.detail ?? 'done'}`;
    case 'undo:failed':
      return `undo ${d.stage ?? event.stage} failed: ${d.error ?? ''}`;
    case 'deploy:finished':
      return `finished: ${statusWords(d.status)}${d.error ? ` — ${d.error}` : ''}`;
    default:
      return [d.stage, d.step, d.message ?? d.detail ?? d.error ?? d.reason].filter((x) => typeof x === 'string' && x !== '').join(': ');
  }
}

/** The history query for the filters; empty filters are left out. */
export function historyQuery(filters, limit = 50) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (filters.environment) q.set('environment', filters.environment);
  if (filters.status) q.set('status', filters.status);
  return `/api/deployments?${q}`;
}

/** The token a `#token=...` fragment carries, or null. */
export function tokenFromFragment(hash) {
  const m = /(?:^#|&)token=([^&]*)/.exec(hash ?? '');
  if (!m) return null;
  try {
    const token = decodeURIComponent(m[1]);
    return token === '' ? null : token;
  } catch {
    return null;
  }
}
