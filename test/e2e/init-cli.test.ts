import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../support/project.js';
import { shipgateInTerminal } from '../support/terminal.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('shipgate init', () => {
  it('writes a config that validates, refuses to overwrite it without --force, and asks for --app outside a terminal', async () => {
    const project = await makeProject('');
    try {
      await project.run(['init', '--app', 'x', '--force']);
      const again = await project.run(['init', '--app', 'other']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/shipgate\.yaml already exists \(--force overwrites\)/);
      expect(await project.read('shipgate.yaml')).toContain('app: x\n');
      const forced = await project.run(['init', '--app', 'shop', '--provider', 'command', '--deploy', './bin/ship', '--health-url', 'https://shop.example.com/health', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      const valid = await project.run(['config', 'validate']);
      expect(valid.code, valid.stderr).toBe(0);
      expect(valid.stdout).toContain('config is valid for staging, production');
      const config = load(await project.read('shipgate.yaml')) as Obj;
      expect(config).toMatchObject({ app: 'shop', provider: { type: 'command', deploy: ['./bin/ship'], health: { url: 'https://shop.example.com/health' } } });
      const bad = await project.run(['init', '--app', 'my app!', '--force']);
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('init: --app: expected a name') });
      const noApp = await project.run(['init', '--force']);
      expect(noApp).toMatchObject({ code: 2, stderr: expect.stringContaining('--app is required when not run in a terminal') });
      // Fly.io: the regions are required outside a terminal; each environment but production is an app of its own.
      const noRegions = await project.run(['init', '--app', 'hotdash', '--provider', 'fly', '--force']);
      expect(noRegions).toMatchObject({ code: 2, stderr: expect.stringContaining('--regions is required with --provider fly') });
      const badRegion = await project.run(['init', '--app', 'hotdash', '--provider', 'fly', '--regions', 'Chicago', '--force']);
      expect(badRegion).toMatchObject({ code: 2, stderr: expect.stringContaining('(provider.regions.0): expected a Fly.io region code') });
      const fly = await project.run(['init', '--app', 'hotdash', '--provider', 'fly', '--regions', 'ord, iad', '--force']);
      expect(fly.code, fly.stderr).toBe(0);
      const flyValid = await project.run(['config', 'validate']);
      expect(flyValid.code, flyValid.stderr).toBe(0);
      expect(load(await project.read('shipgate.yaml'))).toMatchObject({
        provider: { type: 'fly', app: 'hotdash', image: 'registry.fly.io/hotdash:{version}', regions: ['ord', 'iad'], strategy: 'canary', health: { url: 'https://hotdash.fly.dev/health' } },
        build: { command: 'flyctl deploy --build-only --push --app hotdash --image-label "$SHIPGATE_VERSION"' },
        environments: { staging: { provider: { app: 'hotdash-staging' } }, production: {} },
      });
      const github = await project.run(['init', 'github']);
      expect(github.code, github.stderr).toBe(0);
      expect(github.stdout).toContain('secrets to set (GitHub environment production): FLY_API_TOKEN, SHIPGATE_STORE_URL');
      const twice = await project.run(['init', 'github']);
      expect(twice).toMatchObject({ code: 2, stderr: expect.stringMatching(/deploy\.yml, .*rollback\.yml, .*staging\.yml, .*preview\.yml already exist \(--force overwrites\)/) });
    } finally {
      await project.cleanup();
    }
  }, 60_000);

  it('asks in a terminal for what the flags left out, with defaults', async () => {
    const project = await makeProject('');
    const term = await shipgateInTerminal(project.dir, ['init', '--force']);
    try {
      await term.waitFor(/App name \[[^\]]+\]: $/m, 'the app question');
      await term.keys('shop', 'Enter');
      await term.waitFor(/Provider \(command, local, fly\) \[command\]: $/m, 'the provider question');
      await term.keys('Enter');
      await term.waitFor(/Deploy command \[\.\/scripts\/deploy\.sh\]: $/m, 'the deploy question');
      await term.keys('./go.sh', 'Enter');
      const { code, screen } = await term.exit();
      expect(code, screen).toBe(0);
      expect(load(await project.read('shipgate.yaml'))).toMatchObject({ app: 'shop', provider: { type: 'command', deploy: ['./go.sh'] } });
    } finally {
      await term.close();
      await project.cleanup();
    }
  }, 60_000);
});
