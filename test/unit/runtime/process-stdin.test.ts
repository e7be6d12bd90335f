import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processRunner } from '../../../src/runtime/process.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

let dir: TempDir;
beforeEach(async () => void (dir = await makeTempDir()));
afterEach(() => dir.cleanup());

describe('processRunner stdinFile', () => {
  it('feeds the file to the command as its stdin', async () => {
    const file = join(dir.path, 'in.txt');
    await writeFile(file, 'first\nsecond ünïcode\n');
    const lines: string[] = [];
    const r = await processRunner({ argv: ['cat'], stdinFile: file, onLine: (l) => lines.push(l) });
    expect(r.exitCode).toBe(0);
    expect(lines).toEqual(['first', 'second ünïcode']);
  });

  it('with onSpawn (a held command) the file is opened only once the hold is released: a hold that fails runs nothing', async () => {
    await expect(processRunner({ argv: ['cat'], stdinFile: '/dev/null', onSpawn: async () => Promise.reject(new Error('journal down')) })).rejects.toThrow('journal down');
  });
});
