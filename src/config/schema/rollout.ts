import { z } from 'zod';
import { type Duration } from '../duration.js';
import { DURATION_MESSAGE, DURATION_RE, isWithinMaxDuration, MAX_DURATION_MESSAGE } from '../duration.js';
import { duration } from './duration.js';

export const STRATEGIES = ['immediate', 'rolling', 'canary', 'bluegreen'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const INCONCLUSIVE_ACTIONS = ['continue', 'pause', 'fail'] as const;

/** A step's pause: a duration, or `manual` (wait for `shipgate promote`). */
export const PauseSchema = z.union([z.literal('manual'), z.string().regex(DURATION_RE, { error: `${DURATION_MESSAGE}, or "manual"` }).refine(isWithinMaxDuration, { error: MAX_DURATION_MESSAGE })], {
  error: `${DURATION_MESSAGE}, or "manual"`,
}) as unknown as z.ZodType<Duration | 'manual', string>;

export const RolloutStepSchema = z.strictObject({
  weight: z.number({ error: 'expected a weight from 0 to 100' }).int().min(0, { error: 'expected a weight from 0 to 100' }).max(100, { error: 'expected a weight from 0 to 100' }).describe('Percent of traffic to the new version.'),
  pause: PauseSchema.default('0s' as Duration).describe('How long to watch this step (analysis runs throughout), or `manual`.'),
});
export type RolloutStep = z.infer<typeof RolloutStepSchema>;

export const CompareSchema = z.strictObject({
  maxErrorRateIncrease: z.number().min(0).max(1).default(0.01).describe('Fail when the new version\'s error rate exceeds stable\'s by more than this.'),
  maxP95Increase: duration().optional().describe('Fail when the new version\'s p95 exceeds stable\'s by more than this.'),
});

export const AnalysisSchema = z.strictObject({
  interval: duration().default('10s' as Duration).describe('How often the new version is evaluated, during every step.'),
  failureLimit: z.number().int().min(1).default(2).describe('Failed evaluations that fail the rollout.'),
  maxErrorRate: z.number().min(0).max(1).default(0.01).describe('Largest share of 5xx and connection errors (0.01 = 1%).'),
  maxP95: duration().default('3s' as Duration).describe('Largest p95 latency of the new version.'),
  minRequests: z.number().int().min(0).default(20).describe('Fewer requests in a window make the evaluation inconclusive.'),
  onInconclusive: z.enum(INCONCLUSIVE_ACTIONS).default('continue').describe('What an inconclusive evaluation does: `continue`, `pause` (holds the step until `shipgate resume`, `promote` or `abort`) or `fail`.'),
  probe: z.boolean().default(true).describe('Also probe the new instances directly (readiness path).'),
  compareToStable: CompareSchema.optional().describe('Also fail when the new version is worse than stable by more than a margin.'),
});
export type AnalysisConfig = z.infer<typeof AnalysisSchema>;

export const DEFAULT_CANARY_STEPS: RolloutStep[] = [
  { weight: 5, pause: '5m' as Duration },
  { weight: 50, pause: '10m' as Duration },
  { weight: 100, pause: '15m' as Duration },
];

export const RolloutSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default('immediate').describe('`immediate`, `rolling`, `canary` or `bluegreen`.'),
  steps: z.array(RolloutStepSchema).min(1).default(DEFAULT_CANARY_STEPS).describe('Canary steps (weights of the new version).'),
  analysis: AnalysisSchema.default({ interval: '10s' as Duration, failureLimit: 2, maxErrorRate: 0.01, maxP95: '3s' as Duration, minRequests: 20, onInconclusive: 'continue', probe: true }).describe('Checks of the new version during every step; failures roll back.'),
  maxSurge: z.number().int().min(0).default(1).describe('Rolling: new instances started beyond the count.'),
  maxUnavailable: z.number().int().min(0).default(0).describe('Rolling: old instances that may be stopped before new ones are ready.'),
  pause: duration().default('0s' as Duration).describe('Rolling: watch each batch this long; bluegreen: watch green through the header route this long before switching.'),
});
export type RolloutConfig = z.infer<typeof RolloutSchema>;
