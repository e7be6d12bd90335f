import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfigFile, resolveConfigPath } from '../../../src/config/load-path.js';
import { ConfigError } from '../../../src/errors.js';

/** shipgate.yaml is looked for as git looks for .git: here, then each parent folder, never above a repository's root. */
describe('findConfigFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'shipgate-find-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = (...parts: string[]): string => {
    const d = join(root, ...parts);
    mkdirSync(d, { recursive: true });
    return d;
  };

  it('finds the config in the folder itself, or in the nearest parent that has one', () => {
    dir('project', '.git');
    writeFileSync(join(dir('project'), 'shipgate.yaml'), 'app: a\n');
    writeFileSync(join(dir('project', 'services', 'api'), 'shipgate.yaml'), 'app: api\n');
    expect(findConfigFile(join(root, 'project'))).toEqual({ path: join(root, 'project', 'shipgate.yaml') });
    expect(findConfigFile(dir('project', 'src', 'lib'))).toEqual({ path: join(root, 'project', 'shipgate.yaml') });
    expect(findConfigFile(dir('project', 'services', 'api', 'src'))).toEqual({ path: join(root, 'project', 'services', 'api', 'shipgate.yaml') });
  });

  it('does not look above the root of a git repository', () => {
    writeFileSync(join(dir('outer'), 'shipgate.yaml'), 'app: outer\n');
    dir('outer', 'repo', '.git');
    expect(findConfigFile(dir('outer', 'repo', 'src'))).toEqual({ top: join(root, 'outer', 'repo'), repositoryRoot: true });
  });

  it('outside a repository, goes up to the filesystem root', () => {
    const seen: string[] = [];
    const found = findConfigFile('/a/b', (p) => (seen.push(p), false));
    expect(found).toEqual({ top: '/', repositoryRoot: false });
    expect(seen).toEqual(['/a/b/shipgate.yaml', '/a/b/.git', '/a/shipgate.yaml', '/a/.git', '/shipgate.yaml', '/.git']);
  });

  it('resolveConfigPath: --config is taken as given, relative to the working folder; without it the search says where it looked', () => {
    expect(resolveConfigPath({ cwd: '/srv/app/sub', configPath: '../ops/deploy.yaml' })).toBe('/srv/app/ops/deploy.yaml');
    const cwd = dir('outer', 'repo', 'src', 'deep');
    expect(() => resolveConfigPath({ cwd })).toThrow(
      new ConfigError(`no config file: no shipgate.yaml in ${cwd} or a parent folder up to ${join(root, 'outer', 'repo')} (the root of its git repository) (create one or pass --config FILE)`),
    );
    expect(() => resolveConfigPath({ cwd: join(root, 'outer', 'repo') })).toThrow(
      new ConfigError(`no config file: no shipgate.yaml in ${join(root, 'outer', 'repo')} (the root of its git repository) (create one or pass --config FILE)`),
    );
  });
});
