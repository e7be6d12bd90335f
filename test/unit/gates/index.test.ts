import { describe, expect, it } from 'vitest';
import { GatesSchema, type GateName } from '../../../src/config/schema/index.js';
import { Cancelled } from '../../../src/errors.js';
import type { Gate, GateResult, GateResultKind } from '../../../src/gates/contract.js';
import { createGates, evaluateGates } from '../../../src/gates/index.js';
import { makeContext } from './helpers.js';

function fakeGate(name: GateName, result: GateResultKind | Error, applyToRollback = false): Gate & { calls: number } {
  const gate = {
    name,
    applyToRollback,
    calls: 0,
    evaluate: async (): Promise<GateResult> => {
      gate.calls++;
      if (result instanceof Error) throw result;
      return { name, result, reason: `${name} said ${result}` };
    },
  };
  return gate;
}

describe('createGates', () => {
  it('creates the enabled gates in order semver, window, checks, health, approval', () => {
    const config = GatesSchema.parse({
      approval: { approvers: ['bob'] },
      health: [{ url: 'https://staging.example.com/health' }],
      checks: { commands: [{ name: 'unit', run: ['npm', 'test'] }] },
      window: { timezone: 'America/Los_Angeles' },
      semver: {},
    });
    expect(createGates(config).map((g) => g.name)).toEqual(['semver', 'window', 'checks', 'health', 'approval']);
  });

  it('omits gates that are false or absent', () => {
    expect(createGates(GatesSchema.parse({ semver: false, health: false, approval: { approvers: ['bob'] } })).map((g) => g.name)).toEqual(['approval']);
    expect(createGates(GatesSchema.parse(undefined)).map((g) => g.name)).toEqual(['semver']);
    // semver stays on when a gates block leaves it out; only `false` turns it off.
    expect(createGates(GatesSchema.parse({})).map((g) => g.name)).toEqual(['semver']);
    expect(createGates(GatesSchema.parse({ semver: false }))).toEqual([]);
  });

  it('carries applyToRollback from the config', () => {
    const gates = createGates(GatesSchema.parse({ semver: { applyToRollback: true }, health: { targets: [{ url: 'https://x.example.com' }] } }));
    expect(gates.map((g) => [g.name, g.applyToRollback])).toEqual([
      ['semver', true],
      ['health', false],
    ]);
  });
});

describe('evaluateGates', () => {
  it('evaluates every gate in order and reports each result', async () => {
    const seen: GateResult[] = [];
    const results = await evaluateGates([fakeGate('semver', 'pass'), fakeGate('window', 'overridden'), fakeGate('approval', 'skip')], makeContext(), {
      stopOnBlock: true,
      onResult: (r) => seen.push(r),
    });
    expect(results.map((r) => [r.name, r.result])).toEqual([
      ['semver', 'pass'],
      ['window', 'overridden'],
      ['approval', 'skip'],
    ]);
    expect(seen).toEqual(results);
  });

  it('with stopOnBlock skips the gates after a block', async () => {
    const approval = fakeGate('approval', 'pass');
    const results = await evaluateGates([fakeGate('semver', 'pass'), fakeGate('window', 'block'), fakeGate('checks', 'pass'), approval], makeContext(), {
      stopOnBlock: true,
    });
    expect(results.map((r) => [r.name, r.result, r.reason])).toEqual([
      ['semver', 'pass', 'semver said pass'],
      ['window', 'block', 'window said block'],
      ['checks', 'skip', 'not evaluated: an earlier gate blocked'],
      ['approval', 'skip', 'not evaluated: an earlier gate blocked'],
    ]);
    expect(approval.calls).toBe(0);
  });

  it('without stopOnBlock evaluates every gate (gates check)', async () => {
    const results = await evaluateGates([fakeGate('semver', 'block'), fakeGate('window', 'block'), fakeGate('checks', 'pass')], makeContext(), { stopOnBlock: false });
    expect(results.map((r) => r.result)).toEqual(['block', 'block', 'pass']);
  });

  it('for rollbacks skips gates without applyToRollback', async () => {
    const semver = fakeGate('semver', 'pass');
    const health = fakeGate('health', 'pass', true);
    const results = await evaluateGates([semver, health], makeContext({ kind: 'rollback' }), { stopOnBlock: true });
    expect(results).toEqual([
      { name: 'semver', result: 'skip', reason: 'not applied to rollbacks (set applyToRollback to apply)' },
      { name: 'health', result: 'pass', reason: 'health said pass' },
    ]);
    expect(semver.calls).toBe(0);
  });

  it('turns an unexpected error into a block (masked)', async () => {
    const results = await evaluateGates([fakeGate('checks', new Error('boom with s3cr3t-value'))], makeContext({ mask: (t) => t.replace('s3cr3t-value', '***') }), {
      stopOnBlock: true,
    });
    expect(results).toEqual([{ name: 'checks', result: 'block', reason: 'the checks gate failed unexpectedly: boom with ***' }]);
  });

  it('propagates cancellation', async () => {
    await expect(evaluateGates([fakeGate('approval', new Cancelled())], makeContext(), { stopOnBlock: true })).rejects.toBeInstanceOf(Cancelled);
    const ac = new AbortController();
    const reason = new Cancelled('SIGINT');
    ac.abort(reason);
    const gate = fakeGate('semver', 'pass');
    await expect(evaluateGates([gate], makeContext({ signal: ac.signal }), { stopOnBlock: true })).rejects.toBe(reason);
    expect(gate.calls).toBe(0);
  });
});
