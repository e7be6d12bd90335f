/**
 * Per-version figures over sliding windows: a ring of time buckets (1 s each,
 * kept for 5 minutes by default), each with counters and a log-scale latency
 * histogram. Recording touches one bucket (cheap per request); a window's
 * figures merge the buckets it overlaps. Time is whatever the caller passes
 * (the router's Clock), so tests drive windows with a FakeClock.
 */
import type { VersionStats } from '../../rollout/contract.js';
import { binOf, HIST_BINS, quantile } from './histogram.js';

export const DEFAULT_BUCKET_MS = 1000;
export const DEFAULT_RETENTION_MS = 5 * 60_000;

export interface MetricsOptions {
  /** @default 1000 */
  bucketMs?: number;
  /** The longest window `stats` can answer. @default 300000 */
  retentionMs?: number;
}

/** The ring of one version; the router keeps a reference per version, so recording skips a lookup. */
export class VersionRing {
  /** The bucket number (time / bucketMs) each slot holds, -1 when empty. */
  readonly stamp: Float64Array;
  readonly requests: Uint32Array;
  readonly errors5xx: Uint32Array;
  readonly connErrors: Uint32Array;
  readonly latencies: Uint32Array;
  readonly minMs: Float64Array;
  readonly maxMs: Float64Array;
  /** Failed answers (5xx, or none) in a row, up to now; any other answer resets it. */
  streak = 0;

  constructor(
    readonly slots: number,
    readonly bucketMs: number,
  ) {
    this.stamp = new Float64Array(slots).fill(-1);
    this.requests = new Uint32Array(slots);
    this.errors5xx = new Uint32Array(slots);
    this.connErrors = new Uint32Array(slots);
    this.latencies = new Uint32Array(slots * HIST_BINS);
    this.minMs = new Float64Array(slots);
    this.maxMs = new Float64Array(slots);
  }

  /** The slot of bucket `bucket`, emptied first when it still holds an older bucket. */
  slotFor(bucket: number): number {
    const slot = bucket % this.slots;
    if (this.stamp[slot] !== bucket) {
      this.stamp[slot] = bucket;
      this.requests[slot] = 0;
      this.errors5xx[slot] = 0;
      this.connErrors[slot] = 0;
      this.latencies.fill(0, slot * HIST_BINS, (slot + 1) * HIST_BINS);
      this.minMs[slot] = Infinity;
      this.maxMs[slot] = 0;
    }
    return slot;
  }

  /** A response from an instance (its status, and the time to its headers). */
  response(nowMs: number, status: number, latencyMs: number): void {
    const slot = this.slotFor(Math.floor(nowMs / this.bucketMs));
    this.requests[slot]!++;
    if (status >= 500) {
      this.errors5xx[slot]!++;
      this.streak++;
    } else this.streak = 0;
    this.latencies[slot * HIST_BINS + binOf(latencyMs)]!++;
    if (latencyMs < this.minMs[slot]!) this.minMs[slot] = latencyMs;
    if (latencyMs > this.maxMs[slot]!) this.maxMs[slot] = latencyMs;
  }

  /** A request that never reached an instance (refused, reset, timed out). */
  connError(nowMs: number): void {
    const slot = this.slotFor(Math.floor(nowMs / this.bucketMs));
    this.requests[slot]!++;
    this.connErrors[slot]!++;
    this.streak++;
  }

  /** Newest bucket number recorded, -1 when none. */
  newest(): number {
    let newest = -1;
    for (let i = 0; i < this.slots; i++) if (this.stamp[i]! > newest) newest = this.stamp[i]!;
    return newest;
  }
}

export class Metrics {
  private readonly bucketMs: number;
  private readonly slots: number;
  private readonly versions = new Map<string, VersionRing>();

  constructor(opts: MetricsOptions = {}) {
    this.bucketMs = opts.bucketMs ?? DEFAULT_BUCKET_MS;
    this.slots = Math.ceil((opts.retentionMs ?? DEFAULT_RETENTION_MS) / this.bucketMs) + 1;
  }

  /** The ring of `version`, created on first use. */
  ring(version: string): VersionRing {
    let ring = this.versions.get(version);
    if (ring === undefined) {
      ring = new VersionRing(this.slots, this.bucketMs);
      this.versions.set(version, ring);
    }
    return ring;
  }

  /** Figures of the buckets that overlap [now - windowMs, now] (at most the retention). */
  stats(version: string, nowMs: number, windowMs: number): VersionStats {
    const ring = this.versions.get(version);
    const current = Math.floor(nowMs / this.bucketMs);
    const oldest = Math.max(Math.floor((nowMs - windowMs) / this.bucketMs), current - this.slots + 1);
    const merged = new Float64Array(HIST_BINS);
    let requests = 0, errors5xx = 0, connErrors = 0, min = Infinity, max = 0;
    for (let slot = 0; ring !== undefined && slot < this.slots; slot++) {
      const stamp = ring.stamp[slot]!;
      if (stamp < oldest || stamp > current) continue;
      requests += ring.requests[slot]!;
      errors5xx += ring.errors5xx[slot]!;
      connErrors += ring.connErrors[slot]!;
      min = Math.min(min, ring.minMs[slot]!);
      max = Math.max(max, ring.maxMs[slot]!);
      for (let bin = 0, at = slot * HIST_BINS; bin < HIST_BINS; bin++) merged[bin]! += ring.latencies[at + bin]!;
    }
    const timed = requests - connErrors;
    const q = (p: number): number | null => round2(quantile(merged, timed, p, min, max));
    return {
      version,
      windowMs: Math.min(windowMs, (this.slots - 1) * this.bucketMs),
      requests,
      errors5xx,
      connErrors,
      errorRate: requests === 0 ? 0 : (errors5xx + connErrors) / requests,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
    };
  }

  /** Forgets versions outside `keep` that recorded nothing within the retention. */
  prune(keep: ReadonlySet<string>, nowMs: number): void {
    const oldest = Math.floor(nowMs / this.bucketMs) - this.slots + 1;
    for (const [version, ring] of this.versions) {
      if (!keep.has(version) && ring.newest() < oldest) this.versions.delete(version);
    }
  }
}

function round2(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}
