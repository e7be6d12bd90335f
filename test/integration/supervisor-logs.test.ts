import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appSpec, get, harness, waitUntil, type Harness } from './supervisor-harness.js';

/** Instance output goes straight to `<stateDir>/logs/<version>/<id>.log`, rotated by copy-and-truncate. */

let h: Harness;
beforeEach(async () => {
  h = await harness({ logRotation: { maxBytes: 2000, keep: 2, checkEveryMs: 50 } });
});
afterEach(async () => h.cleanup());

describe('supervisor: instance logs', () => {
  it('captures stdout and stderr in the instance log, with a marker line per run', async () => {
    await h.sup.start(appSpec('v1', h.releaseDir, { LOG_LINES: '4' }), 1);
    const log = await readFile(join(h.stateDir, 'logs', 'v1', 'v1#1.log'), 'utf8');
    const lines = log.split('\n');
    expect(lines[0]).toMatch(/^--- shipgate: v1#1 starting on port \d+ at \d{4}-\d\d-\d\dT[\d:.]+Z ---$/);
    for (const n of [1, 2, 3, 4]) expect(lines).toContain(`line ${n} of v1`);
    expect(log).toContain('listening on');
  });

  it('rotates a log over the size limit; the instance keeps writing to the truncated file', async () => {
    const [i] = await h.sup.start(appSpec('v2', h.releaseDir, { LOG_LINES: '200' }), 1);
    const path = join(h.stateDir, 'logs', 'v2', 'v2#1.log');
    await waitUntil('the first rotation', () => h.lines.includes('v2#1: log rotated'));
    // The rotation may come before the instance has written its last line (a loaded machine): that line is then in the new file.
    const both = (): string => ['.1', ''].map((ext) => (existsSync(`${path}${ext}`) ? readFileSync(`${path}${ext}`, 'utf8') : '')).join('');
    await waitUntil('the last line, in the rotated file or the new one', () => both().includes('line 200 of v2'));
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('of v2');
    await get(i!.port, '/log?line=after-rotation');
    // O_APPEND: the next write lands at the new end, not at the old offset (no hole of NUL bytes).
    const now = await readFile(path, 'utf8');
    expect(now).toContain('after-rotation\n');
    expect(now).not.toContain('\0');
    expect((await stat(path)).size).toBeLessThan(2000);
  });

  it('keeps `keep` old files, dropping the oldest', async () => {
    const [i] = await h.sup.start(appSpec('v3', h.releaseDir), 1);
    const path = join(h.stateDir, 'logs', 'v3', 'v3#1.log');
    for (const round of [1, 2, 3]) {
      await get(i!.port, `/log?line=${`round-${round}-`.repeat(300)}`);
      await waitUntil(`rotation ${round}`, () => h.lines.filter((l) => l === 'v3#1: log rotated').length === round);
    }
    expect(await readFile(`${path}.1`, 'utf8')).toContain('round-3-');
    expect(await readFile(`${path}.2`, 'utf8')).toContain('round-2-');
    expect(existsSync(`${path}.3`)).toBe(false);
  });
});
