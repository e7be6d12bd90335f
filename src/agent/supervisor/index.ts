/** The supervisor of the local agent: starts, watches, restarts and stops app instances. */
export { createSupervisor, DEFAULT_LIVENESS_POLL_MS, DEFAULT_STOP_TIMEOUT_MS, type Supervisor, type SupervisorOptions } from './supervisor.js';
export type { AdoptRecord } from './instance.js';
export { DEFAULT_BACKOFF, backoffDelay, nextAttempt, type BackoffPolicy } from './backoff.js';
export { DEFAULT_CRASH_LOOP, isCrashLoop, recordExit, type CrashLoopRule } from './crashloop.js';
export { DEFAULT_UNHEALTHY_AFTER } from './readiness.js';
export { DEFAULT_LOG_KEEP, DEFAULT_LOG_MAX_BYTES, DEFAULT_ROTATION, DEFAULT_ROTATION_CHECK_MS, instanceLogPath, logsDir, type RotationPolicy } from './logs.js';
export type { PortAllocator } from './ports.js';
