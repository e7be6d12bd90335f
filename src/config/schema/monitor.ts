import { z } from 'zod';
import { type Duration } from '../duration.js';
import { durationWithin } from './duration.js';
import { HttpUrlSchema, NameSchema, StatusListSchema } from './primitives.js';

/** How often `shipgate serve` evaluates a rule that sets no `interval`. */
export const DEFAULT_MONITOR_INTERVAL = '30s' as Duration;
/** How often `shipgate serve` sends what the outbox still holds (left by a CLI that exited before delivering). */
export const DEFAULT_MONITOR_DRAIN = '10s' as Duration;
/** Seed 002: an error rate above 1% fires. In percent. */
export const DEFAULT_ERROR_RATE_THRESHOLD = 1;
export const DEFAULT_ERROR_RATE_WINDOW = '5m' as Duration;
/** Fewer requests than this in the window say nothing either way. */
export const DEFAULT_ERROR_RATE_MIN_REQUESTS = 20;
/** Consecutive failed probes before a health rule fires. */
export const DEFAULT_HEALTH_FAILURES = 3;
/** Consecutive healthy probes before it resolves. */
export const DEFAULT_HEALTH_SUCCESSES = 1;
/** An uptime below 99% over the window fires. In percent. */
export const DEFAULT_UPTIME_THRESHOLD = 99;
export const DEFAULT_UPTIME_WINDOW = '1h' as Duration;
/** Fewer probes than this in the window say nothing either way. */
export const DEFAULT_UPTIME_MIN_SAMPLES = 5;
export const DEFAULT_PROBE_TIMEOUT = '5s' as Duration;
export const MONITOR_RULE_TYPES = ['error-rate', 'health', 'uptime'] as const;
export type MonitorRuleType = (typeof MONITOR_RULE_TYPES)[number];

const PERCENT_MESSAGE = 'expected a percentage above 0 and at most 100';
const percent = (fallback: number) => z.number({ error: PERCENT_MESSAGE }).gt(0, { error: PERCENT_MESSAGE }).max(100, { error: PERCENT_MESSAGE }).default(fallback);
const count = (what: string, fallback: number) =>
  z.number({ error: `expected a whole number of ${what}` }).int({ error: `expected a whole number of ${what}` }).min(1, { error: `expected at least 1` }).max(100_000, { error: 'expected at most 100000' }).default(fallback);
const window = (fallback: Duration) => durationWithin(1_000, 30 * 86_400_000).default(fallback);

const common = {
  name: NameSchema.optional().describe('Name of the rule in alerts and messages. Default: `<type>-<position from 1>`.'),
  interval: durationWithin(100, 86_400_000).optional().describe('How often this rule is evaluated (and its URL probed). Default: `monitor.interval`.'),
};

const probe = {
  url: HttpUrlSchema.describe('URL probed with a GET on every evaluation.'),
  expect: StatusListSchema.optional().describe('Healthy statuses. Default: any 2xx or 3xx.'),
  timeout: durationWithin(100, 120_000).default(DEFAULT_PROBE_TIMEOUT).describe('Timeout of one probe; a slower answer counts as a failure.'),
};

export const ErrorRateRuleSchema = z.strictObject({
  type: z.literal('error-rate').describe('The error rate of the requests reported through `POST /api/monitoring/deployment` (`action: "metric"` with `requests` and `errors`) over a window.'),
  ...common,
  threshold: percent(DEFAULT_ERROR_RATE_THRESHOLD).describe('Fires when the error rate is above this many percent.'),
  window: window(DEFAULT_ERROR_RATE_WINDOW).describe('The window the rate is taken over.'),
  minRequests: count('requests', DEFAULT_ERROR_RATE_MIN_REQUESTS).describe('Fewer requests in the window leave the alert as it is.'),
});

export const HealthRuleSchema = z.strictObject({
  type: z.literal('health').describe('A health URL that keeps failing.'),
  ...common,
  ...probe,
  failures: count('probes', DEFAULT_HEALTH_FAILURES).describe('Consecutive failed probes before it fires.'),
  successes: count('probes', DEFAULT_HEALTH_SUCCESSES).describe('Consecutive healthy probes before it resolves.'),
});

export const UptimeRuleSchema = z.strictObject({
  type: z.literal('uptime').describe("A health URL's share of healthy probes over a window."),
  ...common,
  ...probe,
  threshold: percent(DEFAULT_UPTIME_THRESHOLD).describe('Fires when the share of healthy probes is below this many percent.'),
  window: window(DEFAULT_UPTIME_WINDOW).describe('The window the share is taken over (probes since `shipgate serve` started).'),
  minSamples: count('probes', DEFAULT_UPTIME_MIN_SAMPLES).describe('Fewer probes in the window leave the alert as it is.'),
});

export const MonitorRuleSchema = z.discriminatedUnion('type', [ErrorRateRuleSchema, HealthRuleSchema, UptimeRuleSchema], {
  error: `expected a rule with type ${MONITOR_RULE_TYPES.join(', ')}`,
});

export const MonitorSchema = z
  .strictObject({
    interval: durationWithin(100, 86_400_000).default(DEFAULT_MONITOR_INTERVAL).describe('How often `shipgate serve` evaluates each rule.'),
    drain: durationWithin(100, 3_600_000).default(DEFAULT_MONITOR_DRAIN).describe('How often `shipgate serve` sends notifications still pending in the outbox (a CLI that exited before delivering them).'),
    rules: z.array(MonitorRuleSchema, { error: 'expected a list of rules' }).default([]).describe('Alert rules `shipgate serve` evaluates; alerts go to the notify channels that list `alert_firing`.'),
  })
  .optional()
  .describe('Alerts evaluated by `shipgate serve` (seed 002: error rate, failing health URLs, uptime).');

export type MonitorConfig = z.infer<typeof MonitorSchema>;
export type MonitorRuleConfig = z.infer<typeof MonitorRuleSchema>;
export type ErrorRateRule = z.infer<typeof ErrorRateRuleSchema>;
export type HealthRule = z.infer<typeof HealthRuleSchema>;
export type UptimeRule = z.infer<typeof UptimeRuleSchema>;

/** A rule's name: as configured, else `<type>-<position from 1>`. */
export function ruleName(rule: MonitorRuleConfig, index: number): string {
  return rule.name ?? `${rule.type}-${index + 1}`;
}
