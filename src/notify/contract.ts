/** What a notification channel is told, and what it answers. Imports nothing from implementations. */

/** The facts one message is made of (already masked). */
export interface NotificationFacts {
  /** What happened: `succeeded`, `failed`, `rolled_back`, `rollback_failed`, `started` ... */
  event: string;
  deploymentId: string;
  app: string;
  environment: string;
  version: string;
  previousVersion: string | null;
  kind: 'deploy' | 'rollback';
  actor: string;
  reason: string | null;
  gitSha: string | null;
  /** When the event was journaled (ISO-8601). */
  at: string;
  /** The deployment's error, when it failed. */
  error: string | null;
  /** The CI run that started it, when there was one. */
  ciUrl: string | null;
  /** The health of what is live after this event, in words: `healthy`, `rolled back to 1.2.2` ... */
  health: string;
  /** `incident` events: the incident exported (`actor` is then who exported it). */
  incident?: NotifiedIncident | null;
  /** For `alert_firing` and `alert_resolved`: the alert. */
  alert?: AlertFacts;
}

export interface NotifiedIncident {
  id: string;
  type: string;
  severity: string;
  details: string;
  deploymentIds: string[];
}

/** What an alert's message tells beyond the environment and the live version. */
export interface AlertFacts {
  id: string;
  rule: string;
  kind: string;
  summary: string;
  firedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

/** One delivery: the facts and the key the receiver can deduplicate on. */
export interface Delivery {
  /** Idempotency key: the same for every attempt of this delivery. */
  id: string;
  facts: NotificationFacts;
  /** Unix ms of this attempt. */
  now: number;
  signal: AbortSignal;
}

export type SendResult = { ok: true } | { ok: false; error: string; /** The receiver asked to wait this long (429 Retry-After). */ retryAfterMs?: number; /** Retrying cannot help (a 4xx other than 408/429). */ permanent?: boolean };

export interface NotificationChannel {
  readonly name: string;
  readonly type: string;
  /** Longest one attempt may take. */
  readonly timeoutMs: number;
  send(delivery: Delivery): Promise<SendResult>;
}
