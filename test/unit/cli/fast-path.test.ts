/** The lean `history` entry parses exactly as commander would, or leaves the command line to commander. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fastHistoryFlags } from '../../../src/cli/fast-path.js';
import { buildProgram } from '../../../src/cli/main.js';
import type { GlobalOptions } from '../../../src/cli/output.js';

type Parsed = { ok: true; opts: GlobalOptions } | { ok: false };

/** What commander makes of `argv`: the options the action would get, or a refusal (help, usage error). */
async function commanderParse(argv: string[]): Promise<Parsed> {
  let opts: GlobalOptions | undefined;
  const program = buildProgram((_action, o) => {
    opts = o;
  }, '0.0.0-test');
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch {
    return { ok: false };
  }
  return opts ? { ok: true, opts } : { ok: false };
}

const TOKENS = [
  '--json', '--verbose', '--no-color', '--color', '-c', '--config', '-e', '--env', '--limit', '--before',
  'x.yaml', 'staging', '5', '', '-5', '--', '-h', '--help', '-V', '--version',
  '--config=a.yaml', '--env=prod', '--limit=3', '--before=dep_1', '-cfoo.yaml', '-estaging', '-e=prod', '--json=1', 'extra', '--lim',
];

describe('fastHistoryFlags', () => {
  beforeEach(() => {
    vi.stubEnv('SHIPGATE_ENV', '');
    vi.stubEnv('SHIPGATE_CONFIG', '');
    // commander prints its usage errors; the refusals are what is compared here.
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it.each([
    [['history'], { color: true, limit: '20' }],
    [['history', '--json'], { color: true, limit: '20', json: true }],
    [['history', '--env', 'staging', '--limit', '5', '--json'], { color: true, limit: '5', env: 'staging', json: true }],
    [['history', '-c', 'ops/shipgate.yaml', '-e', 'production', '--before', 'dep_x', '--no-color', '--verbose'], { config: 'ops/shipgate.yaml', color: false, limit: '20', env: 'production', before: 'dep_x', verbose: true }],
    [['history', '--config=a.yaml', '--limit=3'], { config: 'a.yaml', color: true, limit: '3' }],
  ])('takes the lean path for %j', async (argv, expected) => {
    expect(fastHistoryFlags(argv)).toEqual(expected);
    expect(await commanderParse(argv)).toEqual({ ok: true, opts: expected });
  });

  it.each([[['status', '--json']], [['history', '--help']], [['history', 'extra']], [['history', '--env']], [['history', '--env', '--json']], [['history', '--json=1']], [['history', '--', '--json']], [[]]])(
    'leaves %j to commander',
    (argv) => {
      expect(fastHistoryFlags(argv)).toBeNull();
    },
  );

  it('never disagrees with commander: whenever it parses, commander gives the same options', async () => {
    let lean = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 6 }), async (tokens) => {
        const argv = ['history', ...tokens];
        const fast = fastHistoryFlags(argv);
        if (fast === null) return;
        lean++;
        expect(await commanderParse(argv), JSON.stringify(argv)).toEqual({ ok: true, opts: fast });
      }),
      { numRuns: 500 },
    );
    // The property says something only if many command lines take the lean path.
    expect(lean).toBeGreaterThan(50);
  });
});
