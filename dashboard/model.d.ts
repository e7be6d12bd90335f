// Types of model.js for the tests that import it (the browser loads model.js as it is).
export interface JournalEvent {
  seq?: number;
  deploymentId: string;
  at?: string;
  type: string;
  stage?: string | null;
  step?: string | null;
  data?: Record<string, unknown>;
  context?: Record<string, unknown>;
}
export interface VersionFigures {
  requests: number;
  errorRate: number | null;
  p95: number | null;
  ejected: boolean;
}
export interface RolloutView {
  deploymentId: string;
  environment: string;
  kind: string;
  version: string;
  previousVersion: string | null;
  status: string;
  stage: string | null;
  step: string | null;
  stepStatus: string | null;
  trafficPercentage?: number;
  paused: boolean;
  weights: Record<string, number>;
  weightHistory: { weights: Record<string, number>; reason: string }[];
  stats: Record<string, VersionFigures>;
  verdict: string | null;
  reasons: string[];
  failures: number;
  failureLimit: number | null;
  error: string | null;
  lastSeq: number;
  updatedAt: string | null;
}
export const STATUSES: string[];
export class SseParser {
  push(chunk: string): { id: string | null; event: string; data: string }[];
}
export function startedRollout(event: JournalEvent): RolloutView;
export function applyEvent(state: RolloutView, event: JournalEvent): RolloutView;
export function versionRows(state: RolloutView): { version: string; role: string; weight: number; stats: VersionFigures | null }[];
export function formatWeights(weights: Record<string, number>): string;
export function formatPercent(ratio: number | null | undefined, digits?: number): string;
export function formatMs(ms: number | null | undefined): string;
export function formatSeconds(seconds: number | null | undefined): string;
export function duration(startedAt: string | null, finishedAt: string | null): number | null;
export function statusWords(status: string): string;
export function describeEvent(event: JournalEvent): string;
export function historyQuery(filters: { environment?: string; status?: string }, limit?: number): string;
export function tokenFromFragment(hash: string): string | null;
