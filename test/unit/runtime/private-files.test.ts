import { closeSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, openPrivate, tightenFile, writePrivateFile, writePrivateFileSync } from '../../../src/runtime/private-files.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

let tmp: TempDir;
let oldMask: number;
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

beforeEach(async () => {
  tmp = await makeTempDir('shipgate-private-');
  // The loosest umask: every mode below comes from the helpers, not from the umask.
  oldMask = process.umask(0);
});

afterEach(async () => {
  process.umask(oldMask);
  await tmp.cleanup();
});

describe('private files', () => {
  it('ensurePrivateDir makes every missing folder 0700 and tightens an existing leaf, unless told not to', () => {
    const deep = join(tmp.path, 'a', 'b', 'c');
    ensurePrivateDir(deep);
    expect([mode(join(tmp.path, 'a')), mode(join(tmp.path, 'a', 'b')), mode(deep)]).toEqual(['700', '700', '700']);
    const loose = join(tmp.path, 'loose');
    mkdirSync(loose, { mode: 0o777 });
    ensurePrivateDir(loose, { tighten: false });
    expect(mode(loose)).toBe('777');
    ensurePrivateDir(loose);
    expect(mode(loose)).toBe('700');
  });

  it('openPrivate, writePrivateFile(Sync) and tightenFile leave 0600, also for a file that existed with another mode', async () => {
    const a = join(tmp.path, 'a.log');
    closeSync(openPrivate(a, 'a'));
    expect(mode(a)).toBe('600');
    const b = join(tmp.path, 'b.json');
    writeFileSync(b, 'old', { mode: 0o666 });
    writePrivateFileSync(b, 'new');
    expect([mode(b), await readFile(b, 'utf8')]).toEqual(['600', 'new']);
    const c = join(tmp.path, 'c.json');
    writeFileSync(c, 'old', { mode: 0o644 });
    await writePrivateFile(c, 'newer');
    expect([mode(c), await readFile(c, 'utf8')]).toEqual(['600', 'newer']);
    const d = join(tmp.path, 'd');
    writeFileSync(d, '', { mode: 0o664 });
    tightenFile(d);
    tightenFile(join(tmp.path, 'missing'));
    expect(mode(d)).toBe('600');
  });
});
