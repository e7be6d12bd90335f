import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_ROTATION,
  instanceLogPath,
  listLogSources,
  LogFollower,
  rotateIfNeeded,
  rotationPlan,
  runRotation,
  shouldRotate,
  splitLines,
  startRotationLoop,
  tailLog,
  tailSinceMarker,
  writeMarker,
} from '../../../../src/agent/supervisor/logs.js';
import { FakeClock } from '../../../../src/runtime/clock.js';
import { cutMarker } from '../../../../src/runtime/line-splitter.js';
import { makeTempDir, type TempDir } from '../../../support/tmp.js';

describe('log rotation decision', () => {
  it('rotates a file larger than 10 MB by default, keeping 3', () => {
    expect(DEFAULT_ROTATION).toMatchObject({ maxBytes: 10 * 1024 * 1024, keep: 3 });
    expect(shouldRotate(10 * 1024 * 1024, DEFAULT_ROTATION)).toBe(false);
    expect(shouldRotate(10 * 1024 * 1024 + 1, DEFAULT_ROTATION)).toBe(true);
  });

  it('plans copy-and-truncate: shift the old files, copy to .1, truncate', () => {
    expect(rotationPlan('a.log', 3)).toEqual([
      { op: 'rename', from: 'a.log.2', to: 'a.log.3' },
      { op: 'rename', from: 'a.log.1', to: 'a.log.2' },
      { op: 'copy', from: 'a.log', to: 'a.log.1' },
      { op: 'truncate', path: 'a.log' },
    ]);
    expect(rotationPlan('a.log', 0)).toEqual([{ op: 'truncate', path: 'a.log' }]);
  });
});

describe('log files', () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir();
  });
  afterEach(async () => tmp.cleanup());

  it('lays out <stateDir>/logs/<version>/<instance>.log', () => {
    expect(instanceLogPath('/s', 'v1.2.0', 'v1.2.0#1')).toBe(join('/s', 'logs', 'v1.2.0', 'v1.2.0#1.log'));
  });

  it('rotates, shifting older files and dropping the oldest', async () => {
    const path = join(tmp.path, 'x.log');
    const policy = { maxBytes: 5, keep: 2 };
    for (const gen of ['first\n', 'second\n', 'third\n']) {
      await writeFile(path, gen);
      expect(await rotateIfNeeded(path, policy)).toBe(true);
    }
    await writeFile(path, 'tiny');
    expect(await rotateIfNeeded(path, policy)).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('tiny');
    expect(await readFile(`${path}.1`, 'utf8')).toBe('third\n');
    expect(await readFile(`${path}.2`, 'utf8')).toBe('second\n');
    expect(await rotateIfNeeded(join(tmp.path, 'missing.log'), policy)).toBe(false);
  });

  it('the rotation loop checks sizes every checkEveryMs on its clock, and stops when told', async () => {
    const clock = new FakeClock(0);
    const path = join(tmp.path, 'v#1.log');
    const lines: string[] = [];
    await writeFile(path, 'x'.repeat(3000));
    const loop = startRotationLoop({ clock, policy: { maxBytes: 1000, keep: 1, checkEveryMs: 10_000 }, files: () => [{ id: 'v#1', path }], log: (l) => lines.push(l) });
    await clock.advance(9_999);
    expect(existsSync(`${path}.1`)).toBe(false);
    await clock.advance(1);
    await vi.waitFor(() => expect(lines).toEqual(['v#1: log rotated']));
    expect((await stat(path)).size).toBe(0);
    loop.stop();
    await writeFile(path, 'x'.repeat(3000));
    await clock.advance(60_000);
    expect(clock.pending).toBe(0);
    expect(lines).toEqual(['v#1: log rotated']);
  });

  it('tails the last lines, reaching into rotated files when the current one is short', async () => {
    const path = join(tmp.path, 'x.log');
    await writeFile(`${path}.2`, 'a\nb\n');
    await writeFile(`${path}.1`, 'c\nd\n');
    await writeFile(path, 'e\nf');
    expect((await tailLog(path, 1)).lines).toEqual(['f']);
    expect(await tailLog(path, 3)).toEqual({ lines: ['d', 'e', 'f'], size: 3 });
    expect((await tailLog(path, 100)).lines).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await tailLog(join(tmp.path, 'none.log'), 5)).lines).toEqual([]);
  });

  it('tails big files without reading them whole (lines cross chunk boundaries)', async () => {
    const path = join(tmp.path, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    await writeFile(path, `${lines.join('\n')}\n`);
    expect((await tailLog(path, 3000)).lines).toEqual(lines.slice(-3000));
  });

  it('tailSinceMarker returns only the current run', async () => {
    const path = join(tmp.path, 'v#1.log');
    writeMarker(path, 'v#1 starting');
    await appendFile(path, 'old run\n');
    writeMarker(path, 'v#1 starting (restart 1)');
    await appendFile(path, 'new 1\nnew 2\nnew 3\n');
    expect(await tailSinceMarker(path, 2)).toEqual(['new 2', 'new 3']);
    expect(await tailSinceMarker(path, 10)).toEqual(['new 1', 'new 2', 'new 3']);
  });

  it('lists sources in natural order, filtered by version and instance', async () => {
    const dir = join(tmp.path, 'logs');
    for (const f of ['v2/v2#1.log', 'v10/v10#1.log', 'v2/v2#10.log', 'v2/v2#2.log', 'v2/v2#2.log.1', 'v2/notes.txt']) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), '');
    }
    const names = (await listLogSources(dir)).map((s) => `${s.version}/${s.instance}`);
    expect(names).toEqual(['v2/v2#1', 'v2/v2#2', 'v2/v2#10', 'v10/v10#1']);
    expect((await listLogSources(dir, { version: 'v10' })).map((s) => s.instance)).toEqual(['v10#1']);
    expect((await listLogSources(dir, { instance: 'v2#2' })).map((s) => s.path)).toEqual([join(dir, 'v2', 'v2#2.log')]);
    expect(await listLogSources(join(tmp.path, 'nothing'))).toEqual([]);
  });

  it('follows appended lines, holds back a partial line, and survives a rotation', async () => {
    const path = join(tmp.path, 'f.log');
    await writeFile(path, 'before\n');
    const f = new LogFollower({ version: 'v', instance: 'v#1', path }, 7);
    expect(await f.poll()).toEqual([]);
    await appendFile(path, 'one\ntw');
    expect(await f.poll()).toEqual(['one']);
    await appendFile(path, 'o\nthree\n');
    await runRotation(rotationPlan(path, 3));
    await appendFile(path, 'four\n');
    expect(await f.poll()).toEqual(['two', 'three', 'four']);
    await appendFile(path, 'é\n');
    expect(await f.poll()).toEqual(['é']);
  });

  it('follows a 64 MiB line written over many polls as one cut line (bounded memory), and a character split between two reads stays whole', async () => {
    const path = join(tmp.path, 'huge.log');
    await writeFile(path, '');
    const f = new LogFollower({ version: 'v', instance: 'v#1', path }, 0);
    const mib = 'q'.repeat(1024 * 1024);
    for (let i = 0; i < 64; i++) {
      await appendFile(path, mib);
      expect(await f.poll()).toEqual([]);
    }
    await appendFile(path, Buffer.from('\né').subarray(0, 2));
    expect(await f.poll()).toEqual([mib + cutMarker(63 * 1024 * 1024)]);
    await appendFile(path, Buffer.from('é\n').subarray(1));
    expect(await f.poll()).toEqual(['é']);
  });

  it('splits lines: a final line without newline counts', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b']);
  });
});
