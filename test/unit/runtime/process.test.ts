import { describe, expect, it } from 'vitest';
import { execaRunner } from '../../../src/runtime/process.js';

describe('execaRunner', () => {
  it('keeps multi-byte characters whole when they straddle chunk boundaries', async () => {
    const lines: string[] = [];
    // 65535 ASCII bytes, then a two-byte "é": the pipe's first chunk ends in the middle of it.
    const script = "process.stdout.write('a'.repeat(65535) + 'é-secret-é\\n')";
    const r = await execaRunner({ argv: [process.execPath, '-e', script], onLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('é-secret-é')).toBe(true);
    expect(lines[0]).not.toContain('\uFFFD');
  });

  it('reports a command that cannot start, and a timeout', async () => {
    expect((await execaRunner({ argv: ['/nonexistent/program'] })).spawnError).toContain('ENOENT');
    const slow = await execaRunner({ argv: [process.execPath, '-e', 'setTimeout(() => {}, 10000)'], timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
  });
});
