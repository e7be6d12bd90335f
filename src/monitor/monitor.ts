/**
 * The effects of the monitor rules in `shipgate serve`: probes and store reads on each rule's
 * interval, the pure {@link decide}, and the alert written with its outbox rows in one step.
 */
import { randomBytes } from 'node:crypto';
import { toMs } from '../config/duration.js';
import { ruleName, type MonitorRuleConfig } from '../config/schema/monitor.js';
import type { AlertEvent, AlertRoute } from '../notify/alert-facts.js';
import type { Masker } from '../runtime/secrets.js';
import type { AlertRow, SqlStore } from '../store/index.js';
import { decide, errorRateCondition, healthCondition, INITIAL_RULE_STATE, keepSamples, uptimeCondition, type AlertAction, type Condition, type ProbeSample, type RuleState } from './evaluate.js';

/** One GET of a health URL: healthy or not, and why. Never throws. */
export type Probe = (url: string, timeoutMs: number, expect: number[] | undefined) => Promise<{ ok: boolean; reason: string }>;

export type MonitorStore = Pick<SqlStore, 'openAlert' | 'resolveAlert' | 'listAlerts' | 'requestTotals'>;

export interface MonitorOptions {
  store: MonitorStore;
  app: string;
  environment: string;
  rules: readonly MonitorRuleConfig[];
  /** `monitor.interval` in ms: a rule's interval when it sets none. */
  intervalMs: number;
  probe: Probe;
  route: AlertRoute;
  masker: Masker;
  /** @default Date.now */
  now?: () => number;
  /** Told after an alert was opened or resolved (the outbox has rows to send). */
  onAlert?: (alert: AlertRow, event: AlertEvent) => void;
  onError?: (message: string) => void;
}

/** `alr_` + UTC time to the second + 6 random hex digits. */
export function newAlertId(nowMs: number): string {
  return `alr_${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}_${randomBytes(3).toString('hex')}`;
}

interface Tracked {
  name: string;
  rule: MonitorRuleConfig;
  intervalMs: number;
  state: RuleState;
  samples: ProbeSample[];
  running: Promise<AlertAction> | null;
}

export class Monitor {
  private readonly tracked: Tracked[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: MonitorOptions) {
    this.now = opts.now ?? Date.now;
    this.tracked = opts.rules.map((rule, i) => ({ name: ruleName(rule, i), rule, intervalMs: rule.interval === undefined ? opts.intervalMs : toMs(rule.interval), state: INITIAL_RULE_STATE, samples: [], running: null }));
  }

  /** Evaluates every rule now and then on its interval (an evaluation still running is not started twice). */
  start(): void {
    for (const t of this.tracked) {
      const tick = (): void => void (t.running ??= this.evaluate(t).finally(() => (t.running = null)));
      tick();
      this.timers.push(setInterval(tick, t.intervalMs));
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.tracked.map((t) => t.running));
  }

  /** One evaluation of the rule named `name` (tests drive this directly). */
  evaluateRule(name: string): Promise<AlertAction> {
    const t = this.tracked.find((r) => r.name === name);
    if (!t) throw new Error(`no monitor rule ${name}`);
    return this.evaluate(t);
  }

  private async evaluate(t: Tracked): Promise<AlertAction> {
    try {
      const condition = await this.conditionOf(t);
      const firing = await this.opts.store.listAlerts({ app: this.opts.app, environment: this.opts.environment, status: 'firing', limit: 1_000 });
      const open = firing.find((a) => a.rule === t.name);
      const { state, action } = decide(t.state, condition, open !== undefined);
      t.state = state;
      if (action === 'fire') await this.fire(t, condition);
      if (action === 'resolve' && open) await this.resolve(open, condition);
      return action;
    } catch (err) {
      this.opts.onError?.(this.opts.masker.mask(`monitor rule ${t.name}: ${(err as Error).message}`));
      return null;
    }
  }

  private async conditionOf(t: Tracked): Promise<Condition> {
    const r = t.rule;
    if (r.type === 'error-rate') {
      const since = new Date(this.now() - toMs(r.window)).toISOString();
      return errorRateCondition(r, await this.opts.store.requestTotals(this.opts.app, this.opts.environment, since));
    }
    const result = await this.opts.probe(r.url, toMs(r.timeout), r.expect);
    const sample = { at: this.now(), ok: result.ok, reason: this.opts.masker.mask(result.reason) };
    if (r.type === 'health') {
      t.samples = keepSamples(t.samples, sample, 0, Math.max(r.failures, r.successes));
      return healthCondition(r, t.samples);
    }
    t.samples = keepSamples(t.samples, sample, toMs(r.window), 1);
    return uptimeCondition({ url: r.url, threshold: r.threshold, windowMs: toMs(r.window), minSamples: r.minSamples }, t.samples, sample.at);
  }

  private async fire(t: Tracked, c: Condition): Promise<void> {
    const at = this.now();
    const summary = this.opts.masker.mask(c.summary);
    const details = this.opts.masker.maskValue({ value: c.value, rule: { ...t.rule, name: t.name } });
    const alert = await this.opts.store.openAlert(
      { id: newAlertId(at), app: this.opts.app, environment: this.opts.environment, rule: t.name, kind: t.rule.type, summary, details, firedAt: new Date(at).toISOString() },
      this.opts.route('alert_firing', this.opts.environment),
    );
    if (alert) this.opts.onAlert?.(alert, 'alert_firing');
  }

  private async resolve(open: AlertRow, c: Condition): Promise<void> {
    const resolution = `recovered: ${this.opts.masker.mask(c.summary)}`;
    const done = await this.opts.store.resolveAlert(open.id, { at: new Date(this.now()).toISOString(), by: 'monitor', resolution }, (a) => this.opts.route('alert_resolved', a.environment));
    if (done?.changed) this.opts.onAlert?.(done.alert, 'alert_resolved');
  }
}
