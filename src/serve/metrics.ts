/**
 * `/metrics` for Prometheus. Counts, locks, live versions and DORA are read from the
 * store on each scrape (so every runner's deployments count); stage durations and
 * rollout weights come from the journal as the server follows it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SqlStore, StatusCount } from '../store/index.js';
import type { DeploymentAggregates, RecentFacts } from './aggregates.js';
import { computeDora, doraWindow, firstIdAt, type DoraKeys } from './dora.js';
import type { StageFigures, StageObservation } from './stage-figures.js';

/** Most incidents of one DORA window read per scrape (newest first). */
export const MAX_DORA_INCIDENTS = 10_000;

/** Buckets of the stage duration histogram, in seconds: a few seconds up to an hour-long canary. */
export const STAGE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export interface MetricsOptions {
  store: SqlStore;
  app: string;
  figures: StageFigures;
  aggregates: DeploymentAggregates;
  facts: RecentFacts;
  now: () => number;
}

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly deployments = new Counter({ name: 'shipgate_deployments_total', help: 'Deployments by environment, kind and result (status).', labelNames: ['environment', 'kind', 'result'], registers: [this.registry] });
  private readonly rollbacks = new Counter({ name: 'shipgate_rollbacks_total', help: 'Rollbacks: automatic (a failed deploy undone) and manual (shipgate rollback that succeeded).', labelNames: ['environment', 'trigger'], registers: [this.registry] });
  private readonly stages = new Histogram({ name: 'shipgate_stage_duration_seconds', help: 'How long each pipeline stage took.', labelNames: ['environment', 'stage', 'result'], buckets: STAGE_BUCKETS, registers: [this.registry] });
  private readonly lock = new Gauge({ name: 'shipgate_lock_held', help: '1 while a deployment holds the environment lock.', labelNames: ['environment'], registers: [this.registry] });
  private readonly live = new Gauge({ name: 'shipgate_live_version_info', help: 'The version live in each environment (value 1).', labelNames: ['environment', 'version'], registers: [this.registry] });
  private readonly weight = new Gauge({ name: 'shipgate_rollout_weight_percent', help: 'Traffic weight per version, as the newest rollout set it.', labelNames: ['environment', 'version'], registers: [this.registry] });
  private readonly dora = {
    frequency: this.doraGauge('shipgate_dora_deployment_frequency_per_day', 'Succeeded deploys per day over the DORA window.'),
    lead: this.doraGauge('shipgate_dora_lead_time_seconds', 'Median commit time to live over the DORA window.'),
    failure: this.doraGauge('shipgate_dora_change_failure_ratio', 'Failed changes over changes in the DORA window.'),
    restore: this.doraGauge('shipgate_dora_time_to_restore_seconds', 'Median time to restore service after a failed change over the DORA window.'),
  };

  constructor(private readonly opts: MetricsOptions) {}

  private doraGauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, labelNames: ['environment'], registers: [this.registry] });
  }

  /** Feeds a stage's end into the histogram (subscribe this to the journal tail). */
  observeStage(o: StageObservation): void {
    this.stages.observe({ environment: o.environment, stage: o.stage, result: o.result }, o.seconds);
  }

  /** The text exposition, read fresh from the store. */
  async render(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    const { store, app } = this.opts;
    const window = doraWindow(this.opts.now());
    const [counts, locks, facts, incidents] = await Promise.all([
      this.opts.aggregates.current(),
      store.listLocks(app),
      this.opts.facts.from(firstIdAt(window.from)),
      store.listIncidents({ app, openedSince: window.from, limit: MAX_DORA_INCIDENTS }),
    ]);
    const environments = [...new Set(counts.map((c) => c.environment))].sort();
    const lives = await Promise.all(environments.map((e) => store.lastSucceeded(app, e)));
    this.setCounts(counts);
    this.lock.reset();
    for (const e of environments) this.lock.set({ environment: e }, locks.some((l) => l.environment === e) ? 1 : 0);
    this.live.reset();
    lives.forEach((d, i) => d && this.live.set({ environment: environments[i]!, version: d.version }, 1));
    this.setWeights();
    this.setDora(environments.map((e) => computeDora(facts, e, window, incidents)));
  }

  private setCounts(counts: StatusCount[]): void {
    this.deployments.reset();
    this.rollbacks.reset();
    for (const c of counts) {
      this.deployments.inc({ environment: c.environment, kind: c.kind, result: c.status }, c.count);
      if (c.kind === 'deploy' && c.status === 'rolled_back') this.rollbacks.inc({ environment: c.environment, trigger: 'automatic' }, c.count);
      if (c.kind === 'rollback' && c.status === 'succeeded') this.rollbacks.inc({ environment: c.environment, trigger: 'manual' }, c.count);
    }
  }

  private setWeights(): void {
    this.weight.reset();
    for (const [environment, weights] of this.opts.figures.weights) {
      for (const [version, w] of Object.entries(weights)) this.weight.set({ environment, version }, w);
    }
  }

  private setDora(keys: DoraKeys[]): void {
    for (const g of Object.values(this.dora)) g.reset();
    const set = (g: Gauge, environment: string, v: number | null): void => {
      if (v !== null) g.set({ environment }, v);
    };
    for (const k of keys) {
      set(this.dora.frequency, k.environment, k.deploymentFrequencyPerDay);
      set(this.dora.lead, k.environment, k.leadTimeSeconds);
      set(this.dora.failure, k.environment, k.changeFailureRate);
      set(this.dora.restore, k.environment, k.timeToRestoreSeconds);
    }
  }
}
