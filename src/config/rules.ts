import { createRequire } from 'node:module';
import type { Config } from './schema/index.js';
import { HOURS_RE } from './schema/index.js';

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
  return end > start && end <= 24 * 60 ? [] : [{ path: ['gates', 'window', 'hours'], message: `the end must be after the start, on the same day (got "${w.hours}")` }];
};

const ensureFreezeOrder: Rule = (c) =>
  (c.gates.window ? c.gates.window.freeze : []).flatMap((f, i) =>
    f.to >= f.from ? [] : [{ path: ['gates', 'window', 'freeze', i, 'to'], message: `must not be before "from" (${f.from}) (got "${f.to}")` }],
  );

const ensureApprovalCount: Rule = (c) => {
  const a = c.gates.approval;
  if (!a || a.required <= a.approvers.length) return [];
  return [{ path: ['gates', 'approval', 'required'], message: `needs ${a.required} approvals but only ${a.approvers.length} approver(s) are listed` }];
};

const ensureHolidayRegion: Rule = (c) => {
  const h = c.gates.window ? c.gates.window.holidays : undefined;
  if (!h) return [];
  return isKnownHolidayRegion(h) ? [] : [{ path: ['gates', 'window', 'holidays'], message: `unknown country or region "${h}" (expected a code like "US", "US-CA" or "GB")` }];
};

function uniqueNames(path: (string | number)[], names: string[]): RuleIssue[] {
  return names.flatMap((n, i) => (names.indexOf(n) === i ? [] : [{ path: [...path, i, 'name'], message: `duplicate name "${n}"` }]));
}

const ensureUniqueNames: Rule = (c) => [
  ...uniqueNames(['smoke'], c.smoke.map((s) => s.name)),
  ...uniqueNames(['gates', 'checks', 'commands'], c.gates.checks ? c.gates.checks.commands.map((s) => s.name) : []),
];

const RULES: Rule[] = [ensureTimeZone, ensureHoursOrder, ensureFreezeOrder, ensureApprovalCount, ensureHolidayRegion, ensureUniqueNames];

/** `US`, `US-CA`, `DE-BY-A`: checked against date-holidays' data (loaded only when used). */
export function isKnownHolidayRegion(code: string): boolean {
  const [country, state, region] = code.split('-');
  if (!country) return false;
  const require = createRequire(import.meta.url);
  const Holidays = require('date-holidays') as new () => {
    getCountries(): Record<string, string>;
    getStates(c: string): Record<string, string> | undefined;
    getRegions(c: string, s: string): Record<string, string> | undefined;
  };
  const hd = new Holidays();
  if (!hd.getCountries()[country.toUpperCase()]) return false;
  if (state && !hd.getStates(country.toUpperCase())?.[state.toUpperCase()]) return false;
  if (state && region && !hd.getRegions(country.toUpperCase(), state.toUpperCase())?.[region.toUpperCase()]) return false;
  return true;
}
