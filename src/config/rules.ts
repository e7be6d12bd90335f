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

/** An allowlist entry with neither a path nor a fingerprint would let every finding through. */
const ensureAllowEntriesNarrow: Rule = (c) =>
  (c.gates.secrets ? c.gates.secrets.allow : []).flatMap((e, i) =>
    e.path !== undefined || e.fingerprint !== undefined ? [] : [{ path: ['gates', 'secrets', 'allow', i], message: 'expected a path, a fingerprint or both: an entry with neither would let every finding through' }],
  );

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
  ...uniqueNames(['notify'], c.notify.map((ch, i) => ch.name ?? `${ch.type}-${i + 1}`)),
  ...uniqueNames(['monitor', 'rules'], (c.monitor?.rules ?? []).map((r, i) => r.name ?? `${r.type}-${i + 1}`)),
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
    ? [{ path: ['rollout', 'strategy'], message: `expected "immediate" with provider type command, which cannot split traffic (got "${c.rollout.strategy}"; use provider type local or fly)` }]
    : [];

/** A Fly.io app cannot run fewer machines than it must. */
const ensureFlyMachines: Rule = (c) => {
  if (c.provider.type !== 'fly') return [];
  const { min, max } = c.provider.machines;
  return max !== undefined && max < min ? [{ path: ['provider', 'machines', 'max'], message: `expected at least machines.min, ${min} (got ${max})` }] : [];
};

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

/** One kind of encryption per database, and an age identity wherever a proof must decrypt. */
const ensureBackupEncryption: Rule = (c) =>
  Object.entries(c.databases ?? {}).flatMap(([name, db]) => {
    const e = db.backup.encryption;
    return e ? encryptionIssues(['databases', name, 'backup', 'encryption'], e, db.backup.verify) : [];
  });

interface EncryptionFields {
  key?: string;
  recipients?: string[];
  identity?: string;
  identityFile?: string;
}

function encryptionIssues(path: string[], e: EncryptionFields, verify: string): RuleIssue[] {
  const hasIdentity = e.identity !== undefined || e.identityFile !== undefined;
  if (e.key !== undefined && e.recipients !== undefined) return [{ path: [...path, 'recipients'], message: 'expected either key (a passphrase) or recipients (age public keys), not both' }];
  if (e.key === undefined && e.recipients === undefined) return [{ path, message: 'expected key (a passphrase, ${BACKUP_KEY}) or recipients (age public keys, age1…)' }];
  if (e.key !== undefined && hasIdentity) return [{ path: [...path, e.identity !== undefined ? 'identity' : 'identityFile'], message: 'goes with recipients (age); a passphrase key decrypts by itself' }];
  if (e.identity !== undefined && e.identityFile !== undefined) return [{ path: [...path, 'identityFile'], message: 'expected either identity or identityFile, not both' }];
  if (e.recipients !== undefined && !hasIdentity && verify === 'restore') {
    return [{ path: [...path, 'identity'], message: 'is required by verify: restore, which decrypts the archive to restore it (set identity from the environment or identityFile, or set backup.verify to list, which then checks the sha256 only, or none)' }];
  }
  return [];
}

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

const RULES: Rule[] = [ensureControlTls, ensureArtifactNames, ensureLocalHasBuild, ensureRolloutProvider, ensureFlyMachines, ensureRisingSteps, ensureTimeZone, ensureHoursOrder, ensureFreezeOrder, ensureApprovalCount, ensureAllowEntriesNarrow, ensureHolidayRegion, ensureUniqueNames, ensureSqlMigrations, ensureDatabaseUrlScheme, ensureBackupEncryption];

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
