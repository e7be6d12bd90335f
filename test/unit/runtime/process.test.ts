import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutMarker, DEFAULT_MAX_LINE_CHARS } from '../../../src/runtime/line-splitter.js';
import { cannotExecute, processRunner, runningGroups } from '../../../src/runtime/process.js';
import { isSameGroup } from '../../../src/runtime/process-group.js';

describe('processRunner', () => {
  it('keeps multi-byte characters whole when they straddle chunk boundaries', async () => {
    const lines: string[] = [];
    // 65535 ASCII bytes, then a two-byte "é": the pipe's first chunk ends in the middle of it.
    const script = "process.stdout.write('a'.repeat(65535) + 'é-secret-é\\n')";
    const r = await processRunner({ argv: [process.execPath, '-e', script], onLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('é-secret-é')).toBe(true);
    expect(lines[0]).not.toContain('\uFFFD');
  });

  it('a timeout longer than a Node timer holds (25 days) does not fire at once', async () => {
    const r = await processRunner({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 300)'], timeoutMs: 25 * 86_400_000 });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it('a 200 MB line without a newline is split in linear time and kept to its first MiB, with a marker naming the bytes cut', async () => {
    const lines: string[] = [];
    const script = "const mb = 'z'.repeat(1 << 20); let i = 0; const w = () => { while (i < 200) if (!process.stdout.write(i++ === 199 ? mb + '\\nafter\\n' : mb)) return process.stdout.once('drain', w); }; w();";
    const r = await processRunner({ argv: [process.execPath, '-e', script], onLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(0);
    expect(lines.map((l) => l.length)).toEqual([DEFAULT_MAX_LINE_CHARS + cutMarker(199 * 1024 * 1024).length, 5]);
    expect(lines[0]!.endsWith(cutMarker(199 * 1024 * 1024))).toBe(true);
    expect(lines[1]).toBe('after');
  }, 60_000);

  it('reports a command that cannot start, and a timeout', async () => {
    expect((await processRunner({ argv: ['/nonexistent/program'] })).spawnError).toContain('ENOENT');
    const slow = await processRunner({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 10000)'], timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
  });

  // A shell script waiting on a child: the child holds the output pipes open.
  const waitsOnChild = ['sh', '-c', 'sleep 30 & echo "child $!"; wait'];
  /** Running (a zombie waiting for its reaper counts as gone). */
  const alive = (pid: number): boolean => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };

  /** Whether `pid` is gone within 2 s (its exit may still be under way when the pipes close). */
  const gone = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    return !alive(pid);
  };

  it('a timeout ends the whole process group, not just the shell', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const r = await processRunner({ argv: waitsOnChild, timeoutMs: 300, onLine: (l) => lines.push(l) });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    const pid = Number(/child (\d+)/.exec(lines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it('an aborted signal ends the whole process group and reports a cancellation', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    const run = processRunner({ argv: waitsOnChild, signal: ac.signal, onLine: (l) => lines.push(l) });
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const r = await run;
    expect(r).toMatchObject({ cancelled: true, timedOut: false, spawnError: null });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await gone(Number(/child (\d+)/.exec(lines.join('\n'))?.[1]))).toBe(true);
  });

  it('a member that ignores SIGTERM is killed after the grace', async () => {
    const r = await processRunner({ argv: ['sh', '-c', 'trap "" TERM; sleep 30 & wait; wait'], timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
  }, 15_000);
});


describe('processRunner with onSpawn (a held command)', () => {
  it('the command runs only once onSpawn has resolved, as the leader of the group it was told about', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-hold-'));
    const marker = join(dir, 'ran');
    const lines: string[] = [];
    let seenDuringHold: boolean | null = null;
    let group: { pgid: number; start: string | null } | null = null;
    const r = await processRunner({
      argv: ['sh', '-c', 'echo "pid $$ pgid $(ps -o pgid= -p $$ | tr -d " ")"; touch "$1"', 'sh', marker],
      onLine: (l) => lines.push(l),
      onSpawn: async (g) => {
        group = g;
        expect(runningGroups.has(g.pgid)).toBe(true);
        await new Promise((res) => setTimeout(res, 200));
        seenDuringHold = existsSync(marker);
      },
    });
    expect(r.exitCode).toBe(0);
    expect(seenDuringHold).toBe(false);
    expect(existsSync(marker)).toBe(true);
    expect(lines).toEqual([`pid ${group!.pgid} pgid ${group!.pgid}`]);
    expect(group!.start).toMatch(/.+:\d+$/);
    expect(runningGroups.has(group!.pgid)).toBe(false);
  });

  it('a held command can read a file as its stdin (a dump fed to a database client), even one whose name has spaces and quotes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-hold-'));
    const file = join(dir, `dump "a" 'b' $x.sql`);
    writeFileSync(file, 'line one\nline two\n');
    const lines: string[] = [];
    let held = false;
    const r = await processRunner({ argv: ['cat'], stdinFile: file, onLine: (l) => lines.push(l), onSpawn: async () => void (held = true) });
    expect(r.exitCode).toBe(0);
    expect(held).toBe(true);
    expect(lines).toEqual(['line one', 'line two']);
  });

  it('when onSpawn fails, the command never runs and the run rejects with that error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-hold-'));
    const marker = join(dir, 'ran');
    const run = processRunner({ argv: ['touch', marker], onSpawn: () => Promise.reject(new Error('journal unavailable')) });
    await expect(run).rejects.toThrow('journal unavailable');
    await new Promise((res) => setTimeout(res, 200));
    expect(existsSync(marker)).toBe(false);
  });

  it('a held command can read a file as its stdin (a dump fed to mariadb inside a deploy), only after onSpawn resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-hold-'));
    const input = join(dir, 'dump.sql');
    writeFileSync(input, 'first line\nrun\nlast line\n');
    const lines: string[] = [];
    let released = false;
    const r = await processRunner({ argv: ['cat'], stdinFile: input, onLine: (l) => lines.push(`${released} ${l}`), onSpawn: async () => void (released = true) });
    expect(r.exitCode).toBe(0);
    expect(lines).toEqual(['true first line', 'true run', 'true last line']);
  });

  it('a command that cannot be executed is reported as before, without starting anything', async () => {
    let called = false;
    const r = await processRunner({ argv: ['/nonexistent/program'], onSpawn: async () => void (called = true) });
    expect(r.spawnError).toBe('spawn /nonexistent/program ENOENT');
    expect(called).toBe(false);
    const plain = await processRunner({ argv: ['no-such-command-anywhere'], onSpawn: async () => undefined });
    expect(plain.spawnError).toBe('spawn no-such-command-anywhere ENOENT');
  });

  it('cannotExecute: PATH lookup, relative paths, non-executable files', () => {
    expect(cannotExecute('sh', undefined, process.env.PATH)).toBeNull();
    expect(cannotExecute('./package.json', process.cwd(), '')).toBe('spawn ./package.json EACCES');
    expect(cannotExecute('./nope', process.cwd(), '')).toBe('spawn ./nope ENOENT');
    expect(cannotExecute('sh', undefined, '')).toBe('spawn sh ENOENT');
  });
});

describe('isSameGroup', () => {
  it('a group is ours while it lives, unless a live leader started at another time (the pid was reused)', () => {
    expect(isSameGroup('boot:100', 'boot:100', true)).toBe(true);
    expect(isSameGroup('boot:100', null, true)).toBe(true); // the leader exited; its group lives on
    expect(isSameGroup('boot:100', 'boot:999', true)).toBe(false);
    expect(isSameGroup('boot:100', 'boot:100', false)).toBe(false);
    expect(isSameGroup(null, 'boot:999', true)).toBe(true);
  });
});
