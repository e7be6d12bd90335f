import { holidaysClass } from '../runtime/holiday-data.js';
import { DateTime } from 'luxon';
import { HOURS_RE, WEEKDAYS, type WindowGate } from '../config/schema/index.js';
import type { Gate, GateContext, GateResult } from './contract.js';

/** How far ahead the next allowed time is searched, in days. */
export const DEFAULT_WINDOW_SEARCH_DAYS = 400;

const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 86_400_000;

export interface WindowDecision {
  allowed: boolean;
  reason: string;
  /** The next instant the window allows, as ISO-8601 UTC (`2026-11-23T17:00:00Z`); null when allowed or none found. */
  nextAllowedAt: string | null;
}

interface LocalHours {
  startMin: number;
  endMin: number;
}

/** A public holiday on one local calendar date. */
interface HolidayHit {
  date: string;
  name: string;
}

type Verdict =
  | { kind: 'allowed' }
  | { kind: 'freeze'; from: string; to: string; why: string | undefined }
  | { kind: 'holiday'; holiday: HolidayHit }
  | { kind: 'day' }
  | { kind: 'hours' };

/**
 * Whether the window allows a deployment at `instantMs`. Days, hours, holidays and
 * freezes are all read on the local wall clock of `cfg.timezone` (DST-correct).
 * Precedence of reasons: freeze, holiday, weekday, hours.
 */
export function evaluateWindow(cfg: WindowGate, instantMs: number): WindowDecision {
  const hours = parseHours(cfg.hours);
  const now = DateTime.fromMillis(instantMs, { zone: cfg.timezone });
  if (!now.isValid) {
    // Config validation rejects unknown zones; this only keeps a bad value from crashing the gate.
    return { allowed: false, reason: `unknown time zone "${cfg.timezone}" (expected an IANA time zone like "America/Los_Angeles")`, nextAllowedAt: null };
  }
  const verdict = judge(cfg, hours, now);
  const here = `${now.toFormat('cccc HH:mm')} ${cfg.timezone}`;
  const allowedText = `allowed ${formatDays(cfg.days)} ${cfg.hours}`;
  if (verdict.kind === 'allowed') {
    return { allowed: true, reason: `inside the deploy window (${here}; ${allowedText})`, nextAllowedAt: null };
  }
  const next = nextAllowed(cfg, hours, now);
  const nextText = next
    ? `next allowed: ${next.toFormat('cccc yyyy-MM-dd HH:mm')} ${cfg.timezone} (${isoUtc(next)})`
    : `no allowed time in the next ${DEFAULT_WINDOW_SEARCH_DAYS} days`;
  const when = `${now.toFormat('cccc yyyy-MM-dd HH:mm')} ${cfg.timezone}`;
  let why: string;
  switch (verdict.kind) {
    case 'freeze':
      why = `inside the deploy freeze ${verdict.from} to ${verdict.to}${verdict.why ? `: ${verdict.why}` : ''} (${when})`;
      break;
    case 'holiday':
      why = `public holiday in ${String(cfg.holidays)}: ${verdict.holiday.name} (${when})`;
      break;
    case 'day':
    case 'hours':
      why = `outside the deploy window (${here}; ${allowedText})`;
      break;
  }
  return { allowed: false, reason: `${why}; ${nextText}`, nextAllowedAt: next ? isoUtc(next) : null };
}

function judge(cfg: WindowGate, hours: LocalHours, local: DateTime): Verdict {
  const dayVerdict = judgeDay(cfg, local);
  if (dayVerdict) return dayVerdict;
  const minute = local.hour * 60 + local.minute;
  return minute >= hours.startMin && minute < hours.endMin ? { kind: 'allowed' } : { kind: 'hours' };
}

/** Why the whole local day is closed, or null when some of its hours are open. */
function judgeDay(cfg: WindowGate, local: DateTime): Verdict | null {
  const date = local.toISODate()!;
  const freeze = cfg.freeze.find((f) => f.from <= date && date <= f.to);
  if (freeze) return { kind: 'freeze', from: freeze.from, to: freeze.to, why: freeze.reason };
  if (cfg.holidays) {
    const holiday = publicHoliday(cfg.holidays, date);
    if (holiday) return { kind: 'holiday', holiday };
  }
  if (!cfg.days.includes(WEEKDAYS[local.weekday - 1]!)) return { kind: 'day' };
  return null;
}

/** Walks forward day by day; the first open day's window start (or now, if later) that is still inside its hours. */
function nextAllowed(cfg: WindowGate, hours: LocalHours, now: DateTime): DateTime | null {
  const today = now.startOf('day');
  for (let i = 0; i <= DEFAULT_WINDOW_SEARCH_DAYS; i++) {
    const day = today.plus({ days: i });
    if (judgeDay(cfg, day)) continue;
    const start = atMinute(day, hours.startMin);
    const end = atMinute(day, hours.endMin);
    const candidate = start < now ? now : start;
    if (candidate < end) return candidate;
  }
  return null;
}

/** The local wall-clock time `minute` minutes into `day` (24:00 is the start of the next day). */
function atMinute(day: DateTime, minute: number): DateTime {
  if (minute >= MINUTES_PER_DAY) return day.plus({ days: 1 }).startOf('day');
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
}

function parseHours(hours: string): LocalHours {
  const m = HOURS_RE.exec(hours);
  if (!m) return { startMin: 0, endMin: MINUTES_PER_DAY };
  return { startMin: Number(m[1]) * 60 + Number(m[2]), endMin: Number(m[3]) * 60 + Number(m[4]) };
}

/** `[mon, tue, wed, thu, fri]` -> "mon-fri"; `[mon, wed, sat, sun]` -> "mon,wed,sat-sun". */
export function formatDays(days: readonly string[]): string {
  const idx = [...new Set(days)].map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number])).filter((i) => i >= 0).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${WEEKDAYS[idx[i]!]}-${WEEKDAYS[idx[j]!]}` : idx.slice(i, j + 1).map((k) => WEEKDAYS[k]).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

function isoUtc(t: DateTime): string {
  return t.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** Public holidays by local date, per region and year (date-holidays data is fixed, so this only saves work). */
const holidayCache = new Map<string, Map<string, string>>();

function publicHoliday(region: string, date: string): HolidayHit | null {
  const year = Number(date.slice(0, 4));
  const key = `${region}|${year}`;
  let byDate = holidayCache.get(key);
  if (!byDate) {
    byDate = loadPublicHolidays(region, year);
    holidayCache.set(key, byDate);
  }
  const name = byDate.get(date);
  return name === undefined ? null : { date, name };
}

/**
 * Local dates of `region`'s public holidays that touch `year`. date-holidays reports
 * each holiday's local start as "YYYY-MM-DD hh:mm:ss"; multi-day holidays cover the
 * following dates too.
 */
function loadPublicHolidays(region: string, year: number): Map<string, string> {
  const [country = '', state, area] = region.split('-');
  const Holidays = holidaysClass();
  const hd = new Holidays({ country: country.toUpperCase(), state: state?.toUpperCase(), region: area?.toUpperCase() }, { languages: ['en'] });
  const out = new Map<string, string>();
  for (const y of [year - 1, year]) {
    for (const h of hd.getHolidays(y)) {
      if (h.type !== 'public') continue;
      const first = DateTime.fromISO(h.date.slice(0, 10), { zone: 'UTC' });
      const days = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / DAY_MS));
      for (let i = 0; i < days; i++) {
        const date = first.plus({ days: i }).toISODate()!;
        if (!date.startsWith(String(year))) continue;
        const prev = out.get(date);
        out.set(date, prev && prev !== h.name ? `${prev}, ${h.name}` : h.name);
      }
    }
  }
  return out;
}

export function createWindowGate(cfg: WindowGate): Gate {
  return {
    name: 'window',
    applyToRollback: cfg.applyToRollback,
    evaluate(ctx: GateContext): Promise<GateResult> {
      const instant = ctx.at ?? ctx.clock.now();
      const d = evaluateWindow(cfg, instant);
      const details = { timezone: cfg.timezone, at: new Date(instant).toISOString(), nextAllowedAt: d.nextAllowedAt };
      let result: GateResult;
      if (d.allowed) {
        result = { name: 'window', result: 'pass', reason: d.reason, details };
      } else if (ctx.emergency) {
        result = {
          name: 'window',
          result: 'overridden',
          reason: `emergency override by ${ctx.emergency.by} (reason: ${ctx.emergency.reason}); the window said: ${d.reason}`,
          details: { ...details, emergency: ctx.emergency },
        };
      } else {
        result = { name: 'window', result: 'block', reason: d.reason, details };
      }
      return Promise.resolve({ ...result, reason: ctx.mask(result.reason) });
    },
  };
}
