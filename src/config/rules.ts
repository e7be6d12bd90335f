import { plainControlRefusal } from '../agent/loopback.js';
import { holidaysClass } from '../runtime/holiday-data.js';
import type { Config } from './schema/index.js';
import { HOURS_RE } from './schema/index.js';
import { formatPath } from './paths.js';

/** Cross-field rules the schema cannot express. Each returns issues with key paths. */
export interface RuleIssue {
  path: (string | number)[];
  message: string;
}

type Rule = (c: Config) => RuleIssue[];

export function ensureRules(config: Config): RuleIssue[] {
  return RULES.flatMap((rule) => rule(config));
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}

const ensureTimeZone: Rule = (c) => {
  const w = c.gates.window;
  if (!w || isValidTimeZone(w.timezone)) return [];
  return [{ path: ['gates', 'window', 'timezone'], message: `expected an IANA time zone like "America/Los_Angeles" (got "${w.timezone}")` }];
};

const ensureHoursOrder: Rule = (c) => {
  const w = c.gates.window;
  const m = w ? HOURS_RE.exec(w.hours) : null;
  if (!w || !m) return [];
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return end > start && end <= 24 * 60 ? [] : [{ path: ['gates', 'window', 'hours'], message: `expected "HH:MM-HH:MM" with the end after the start, on the same day (got "${w.hours}")` }];
};

const ensureFreezeOrder: Rule = (c) =>
  (c.gates.window ? c.gates.window.freeze : []).flatMap((f, i) =>
    f.to >= f.from ? [] : [{ path: ['gates', 'window', 'freeze', i, 'to'], message: `expected a date on or after "from" (${f.from}) (got "${f.to}")` }],
  );

const ensureApprovalCount: Rule = (c) => {
  const a = c.gates.approval;
  if (!a || a.required <= a.approvers.length) return [];
  return [{ path: ['gates', 'approval', 'required'], message: `expected at most the number of approvers (${a.approvers.length}) (got ${a.required})` }];
};

const ensureHolidayRegion: Rule = (c) => {
  const h = c.gates.window ? c.gates.window.holidays : undefined;
  if (!h) return [];
  return isKnownHolidayRegion(h) ? [] : [{ path: ['gates', 'window', 'holidays'], message: `expected a known country or region code like "US", "US-CA" or "GB" (got "${h}")` }];
};

function uniqueNames(path: (string | number)[], names: string[]): RuleIssue[] {
  return names.flatMap((n, i) => {
    const first = names.indexOf(n);
    return first === i ? [] : [{ path: [...path, i, 'name'], message: `expected a unique name (got "${n}", already used by ${formatPath([...path, first])})` }];
  });
}

const ensureUniqueNames: Rule = (c) => [
  ...uniqueNames(['smoke'], c.smoke.map((s) => s.name)),
  ...uniqueNames(['gates', 'checks', 'commands'], c.gates.checks ? c.gates.checks.commands.map((s) => s.name) : []),
];

/** The release's manifest lives at its root: an artifact may not take that name. */
const ensureArtifactNames: Rule = (c) =>
  (c.build?.artifacts ?? []).flatMap((a, i) =>
    a.replace(/^\.\//, '').replace(/\/+$/, '') === 'manifest.json' ? [{ path: ['build', 'artifacts', i], message: `expected a name other than "manifest.json", which the release's sha256 manifest uses (got "${a}")` }] : [],
  );

/** The agent runs instances from `.shipgate/releases/<version>/`, which the build fills. */
const ensureLocalHasBuild: Rule = (c) =>
  c.provider.type === 'local' && !c.build
    ? [{ path: ['build'], message: 'is required with provider type local (instances run from .shipgate/releases/<version>/, which the build fills: add build.command and build.artifacts)' }]
    : [];

/** Progressive rollouts need a provider that can split traffic. */
const ensureRolloutProvider: Rule = (c) =>
  c.rollout && c.provider.type === 'command' && c.rollout.strategy !== 'immediate'
    ? [{ path: ['rollout', 'strategy'], message: `expected "immediate" with provider type command, which cannot split traffic (got "${c.rollout.strategy}"; use provider type local)` }]
    : [];

/** Builtin migrations are SQL files: a MongoDB database runs its own tool. */
const ensureSqlMigrations: Rule = (c) =>
  Object.entries(c.databases ?? {}).flatMap(([name, db]) =>
    db.type === 'mongodb' && db.migrations?.tool === 'builtin'
      ? [{ path: ['databases', name, 'migrations', 'tool'], message: 'expected "command" for a mongodb database (builtin migrations are SQL files; run migrate-mongo or the like as tool: command)' }]
      : [],
  );

/** The URL schemes each database type connects with. */
const URL_SCHEMES: Record<string, string[]> = { postgres: ['postgres', 'postgresql'], mysql: ['mysql', 'mariadb'], sqlite: ['sqlite'], mongodb: ['mongodb', 'mongodb+srv'] };

/**
 * A URL of another type fails only when the backup runs, without naming the database;
 * caught here with its key path. Only the scheme is quoted: the rest may hold a password.
 */
const ensureDatabaseUrlScheme: Rule = (c) =>
  Object.entries(c.databases ?? {}).flatMap(([name, db]) => {
    const schemes = URL_SCHEMES[db.type] ?? [];
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(db.url)?.[1]?.toLowerCase();
    if (scheme !== undefined && schemes.includes(scheme)) return [];
    const got = scheme === undefined ? 'a URL without a scheme' : `${scheme}:`;
    return [{ path: ['databases', name, 'url'], message: `expected a ${schemes.map((s) => `${s}:`).join(' or ')} URL for type ${db.type} (got ${got})` }];
  });

/** Canary weights only go up. */
const ensureRisingSteps: Rule = (c) =>
  (c.rollout?.steps ?? []).flatMap((step, i, all) =>
    i > 0 && step.weight < all[i - 1]!.weight ? [{ path: ['rollout', 'steps', i, 'weight'], message: `expected at least the previous step's ${all[i - 1]!.weight} (got ${step.weight})` }] : [],
  );

/** The TCP control API runs code for whoever has the token: off this machine only over TLS. */
const ensureControlTls: Rule = (c) => {
  const control = c.provider.type === 'local' ? c.provider.control : undefined;
  const refusal = control && !control.tls ? plainControlRefusal(control.listen) : null;
  return refusal === null ? [] : [{ path: ['provider', 'control', 'listen'], message: refusal }];
};

const RULES: Rule[] = [ensureControlTls, ensureArtifactNames, ensureLocalHasBuild, ensureRolloutProvider, ensureRisingSteps, ensureTimeZone, ensureHoursOrder, ensureFreezeOrder, ensureApprovalCount, ensureHolidayRegion, ensureUniqueNames, ensureSqlMigrations, ensureDatabaseUrlScheme];

interface HolidayData {
  getCountries(): Record<string, string>;
  getStates(c: string): Record<string, string> | undefined;
  getRegions(c: string, s: string): Record<string, string> | undefined;
}

let holidayData: HolidayData | undefined;

/** date-holidays' data, loaded on first use (it is large) and kept. */
function holidays(): HolidayData {
  if (!holidayData) {
    const Holidays = holidaysClass() as unknown as new () => HolidayData;
    holidayData = new Holidays();
  }
  return holidayData;
}

/** `US`, `US-CA`, `DE-BY-A`: checked against date-holidays' data. */
export function isKnownHolidayRegion(code: string): boolean {
  const [country, state, region] = code.toUpperCase().split('-');
  if (!country) return false;
  const hd = holidays();
  if (!Object.hasOwn(hd.getCountries(), country)) return false;
  if (state && !Object.hasOwn(hd.getStates(country) ?? {}, state)) return false;
  if (state && region && !Object.hasOwn(hd.getRegions(country, state) ?? {}, region)) return false;
  return true;
}
