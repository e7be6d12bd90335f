import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Acceptance (window gate, through `gates check --at`). */

const CONFIG = `
app: windowtest
${SCRIPTS_PROVIDER}gates:
  window: { timezone: America/Los_Angeles, days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", holidays: US }
`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

async function check(at: string) {
  const r = await p.run(['gates', 'check', '--version', 'v1.0.0', '--at', at, '--json']);
  const out = json<{ allowed: boolean; gates: { name: string; result: string; reason: string }[] }>(r);
  return { code: r.code, allowed: out.allowed, window: out.gates.find((g) => g.name === 'window')! };
}

describe('deploy window (America/Los_Angeles, mon-fri 09:00-17:00, US holidays)', () => {
  it.each([
    ['Saturday 10:00 PT', '2026-11-21T10:00:00-08:00', false],
    ['Monday 08:59 PT', '2026-11-23T08:59:00-08:00', false],
    ['Monday 09:00 PT', '2026-11-23T09:00:00-08:00', true],
    ['Monday 16:59 PT', '2026-11-23T16:59:00-08:00', true],
    ['Monday 17:00 PT', '2026-11-23T17:00:00-08:00', false],
    ['US Thanksgiving 10:00 PT', '2026-11-26T10:00:00-08:00', false],
    // DST begins Sunday 2026-03-08: Monday 09:00 PDT is 16:00Z.
    ['Monday after DST starts, 09:00 PDT', '2026-03-09T16:00:00Z', true],
    ['Monday after DST starts, 08:59 PDT', '2026-03-09T15:59:00Z', false],
    ['Monday after DST starts, 17:00 PDT', '2026-03-10T00:00:00Z', false],
    ['Friday before DST starts, 08:30 PST (16:30Z)', '2026-03-06T16:30:00Z', false],
    // DST ends Sunday 2026-11-01: Monday 09:00 PST is 17:00Z.
    ['Monday after DST ends, 09:00 PST', '2026-11-02T17:00:00Z', true],
    ['Monday after DST ends, 08:30 PST (16:30Z)', '2026-11-02T16:30:00Z', false],
  ])('%s (%s) -> allowed=%s', async (_name, at, allowed) => {
    const r = await check(at);
    expect(r.allowed, r.window.reason).toBe(allowed);
    expect(r.code).toBe(allowed ? 0 : 3);
    expect(r.window.result).toBe(allowed ? 'pass' : 'block');
  });

  it('names the holiday and the next allowed time', async () => {
    const r = await check('2026-11-26T10:00:00-08:00');
    expect(r.window.reason).toMatch(/Thanksgiving/);
    expect(r.window.reason).toMatch(/next allowed: .*2026-11-27/);
  });

  it('a blocked plain-text check says when the next window opens', async () => {
    const r = await p.run(['gates', 'check', '--version', 'v1.0.0', '--at', '2026-11-21T10:00:00-08:00']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('next allowed: Monday 2026-11-23 09:00 America/Los_Angeles (2026-11-23T17:00:00Z)');
  });

  it('rejects a malformed --at (exit 2)', async () => {
    const r = await p.run(['gates', 'check', '--version', 'v1.0.0', '--at', 'tomorrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--at: expected an ISO time with a zone');
  });
});

describe('--emergency overrides the window only, and is recorded', () => {
  const today = new Date();
  const day = (offset: number): string => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const FROZEN = `
app: frozen
${SCRIPTS_PROVIDER}gates:
  semver: {}
  window: { timezone: America/Los_Angeles, freeze: [{ from: ${day(-2)}, to: ${day(2)}, reason: "year-end freeze" }] }
`;
  let f: Project;
  beforeAll(async () => {
    f = await makeProject(FROZEN);
  });
  afterAll(async () => f?.cleanup());

  it('without it the freeze blocks (exit 3)', async () => {
    const r = await f.run(['deploy', 'v1.0.0']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('year-end freeze');
  });

  it('--emergency without --reason is refused (exit 2)', async () => {
    const r = await f.run(['deploy', 'v1.0.0', '--emergency']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--emergency needs --reason');
  });

  it('with it the deploy runs and the record says who and why', async () => {
    const r = await f.run(['deploy', 'v1.0.0', '--emergency', '--reason', 'checkout is down', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = json<{ record: { emergency: unknown; gates: { name: string; result: string; reason: string }[]; triggered_by: string } }>(r).record;
    expect(rec.emergency).toEqual({ by: 'tester', reason: 'checkout is down' });
    const win = rec.gates.find((g) => g.name === 'window')!;
    expect(win.result).toBe('overridden');
    expect(win.reason).toContain('tester');
    expect(win.reason).toContain('checkout is down');
    expect(rec.gates.find((g) => g.name === 'semver')!.result).toBe('pass');
  });

  it('--emergency does not override other gates', async () => {
    const r = await f.run(['deploy', 'v1.0', '--emergency', '--reason', 'x']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/gate semver: block/);
  });
});
