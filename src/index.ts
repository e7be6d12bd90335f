/** shipgate's public library API. */
export { DeploymentManager, validateManagerOptions } from './pipeline/manager.js';
export type { DeploymentManagerOptions, DeployOptions, RollbackOptions, DeploymentResult, PreDeploymentResult, VerificationResult } from './pipeline/manager.js';
export type { DeploymentRecord } from './pipeline/record.js';
export type { EnvironmentStatus } from './pipeline/environment-status.js';
export type { AcknowledgeResult } from './pipeline/acknowledge.js';
export type { DryRunPlan } from './pipeline/dry-run.js';
export { EventBus, type LifecycleEvents, type LifecycleEventName, type AnyLifecycleEvent, type JournaledEvent, type EventContext, type Listener, type EventBusOptions } from './pipeline/events.js';
export type { GateResult } from './gates/contract.js';
export type { ConfigInput, Config } from './config/schema/index.js';
export { ShipgateError, ConfigError, UsageError, GateBlocked, StageFailed, LockHeld, RollbackFailed, BlockedByFailedRollback, Cancelled, NotFound, DeadlineExceeded, RunInterrupted } from './errors.js';
export { StoreUnavailable } from './store/resilient.js';
export { AgentClient, AgentUnavailable, AgentRequestFailed, type AgentEndpoint } from './agent/client.js';
export { controlEndpoint } from './agent/control-endpoint.js';

import type { ConfigInput } from './config/schema/index.js';

/** Identity helper that gives editors the config's types in a `shipgate.config.ts`-style script. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
