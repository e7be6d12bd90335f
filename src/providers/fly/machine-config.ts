import { toMs } from '../../config/duration.js';
import { toArgv, IMAGE_VERSION_PLACEHOLDER, type FlyProviderConfig } from '../../config/schema/index.js';
import type { FlyMachine, FlyMachineConfig } from './client.js';

/* Pure: the machine configs shipgate asks for, and what it reads back from machines. */

/** Config metadata keys shipgate sets on the machines it manages. */
export const VERSION_KEY = 'shipgate_version';
/** Set on blue machines kept stopped after a blue-green switch: the ISO time until which they are kept. */
export const STANDBY_KEY = 'shipgate_standby_until';
/** Set on release_command machines, so they are never taken for app machines. */
export const ROLE_KEY = 'shipgate_role';

/** The image of `version`: the configured reference with `{version}`, or the app's Fly.io registry repository. */
export function imageFor(cfg: Pick<FlyProviderConfig, 'image' | 'app'>, version: string): string {
  const template = cfg.image ?? `registry.fly.io/${cfg.app}:${IMAGE_VERSION_PLACEHOLDER}`;
  return template.split(IMAGE_VERSION_PLACEHOLDER).join(version);
}

const seconds = (d: string): string => `${Math.max(1, Math.round(toMs(d as never) / 1000))}s`;

/** The config every machine of `version` runs: image, size, environment, the HTTP service and its check. */
export function machineConfig(cfg: FlyProviderConfig, version: string, env: Record<string, string> = cfg.env ?? {}): FlyMachineConfig {
  return {
    image: imageFor(cfg, version),
    guest: { cpu_kind: cfg.guest.cpuKind, cpus: cfg.guest.cpus, memory_mb: cfg.guest.memoryMb },
    env: { ...env },
    services: [
      {
        protocol: 'tcp',
        internal_port: cfg.port,
        ports: [
          { port: 80, handlers: ['http'], force_https: true },
          { port: 443, handlers: ['tls', 'http'] },
        ],
        checks: [{ type: 'http', port: cfg.port, method: 'GET', path: cfg.check.path, interval: seconds(cfg.check.interval), timeout: seconds(cfg.check.timeout) }],
      },
    ],
    restart: { policy: 'always' },
    metadata: { [VERSION_KEY]: version },
  };
}

/** flyctl's release_command machine: the new image, the command, no restart, destroyed once it exits. */
export function releaseMachineConfig(cfg: FlyProviderConfig, version: string, env: Record<string, string> = cfg.env ?? {}): FlyMachineConfig {
  return {
    image: imageFor(cfg, version),
    guest: { cpu_kind: cfg.guest.cpuKind, cpus: cfg.guest.cpus, memory_mb: cfg.guest.memoryMb },
    env: { ...env, RELEASE_COMMAND: '1' },
    init: { cmd: toArgv(cfg.releaseCommand ?? ['true']) },
    auto_destroy: true,
    restart: { policy: 'no' },
    metadata: { [VERSION_KEY]: version, [ROLE_KEY]: 'release_command' },
  };
}

/** The version a machine runs, as shipgate labelled it; null for machines it did not deploy. */
export function versionOf(m: Pick<FlyMachine, 'config'>): string | null {
  return m.config?.metadata?.[VERSION_KEY] ?? null;
}

/** A blue machine kept stopped for the rollback window after a blue-green switch. */
export function isStandby(m: Pick<FlyMachine, 'config'>): boolean {
  return m.config?.metadata?.[STANDBY_KEY] !== undefined;
}

/** The app's serving machines: not destroyed, not a release command, not a kept blue. */
export function appMachines(all: readonly FlyMachine[]): FlyMachine[] {
  return all.filter((m) => m.state !== 'destroyed' && m.state !== 'destroying' && m.config?.metadata?.[ROLE_KEY] === undefined && !isStandby(m));
}

/** The version most machines run (ties: the first seen); null with none labelled. */
export function majorityVersion(machines: readonly FlyMachine[]): string | null {
  const counts = new Map<string, number>();
  for (const m of machines) {
    const v = versionOf(m);
    if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** A machine counts as ready when it has started and every check passes. */
export function isReady(m: Pick<FlyMachine, 'state' | 'checks'>): boolean {
  return m.state === 'started' && (m.checks ?? []).every((c) => c.status === 'passing');
}

/** A check went critical on a started machine: it is failing, not still starting. */
export function criticalChecks(m: Pick<FlyMachine, 'state' | 'checks' | 'id'>): string[] {
  if (m.state !== 'started') return [];
  return (m.checks ?? []).filter((c) => c.status === 'critical').map((c) => `${c.name}${c.output ? ` (${c.output})` : ''}`);
}

/** Machines to run: what the app runs now, within min and max (min for a first deployment). */
export function targetCount(current: number, machines: FlyProviderConfig['machines']): number {
  const max = machines.max ?? Math.max(machines.min, current);
  return Math.min(max, Math.max(machines.min, current));
}

/** flyctl's --max-unavailable: below 1 a fraction of the machines (at least one), else a count. */
export function batchSize(maxUnavailable: number, total: number): number {
  return maxUnavailable < 1 ? Math.max(1, Math.floor(maxUnavailable * total)) : Math.max(1, Math.floor(maxUnavailable));
}
