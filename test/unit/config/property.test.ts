import fc from 'fast-check';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { parseConfigText, resolveDocument } from '../../../src/config/index.js';
import { environmentNames } from '../../../src/config/environments.js';
import { CANONICAL_ENV, CANONICAL_YAML, CONFIG_PATH, loadText } from './helpers.js';

/**
 * Whatever a user writes, loading it either succeeds or throws a ConfigError with
 * readable lines: never a TypeError from deep inside the loader.
 */

/** More runs for a deeper search: SHIPGATE_PROPERTY_RUNS=5000 npx vitest run test/unit/config/property.test.ts */
const RUNS = Number(process.env.SHIPGATE_PROPERTY_RUNS ?? 300);
const TIMEOUT_MS = Math.max(30_000, RUNS * 25);

type Outcome = 'valid' | 'invalid';

/** Runs `fn`; a ConfigError is an expected outcome, anything else fails the property. */
function outcome(fn: () => unknown): Outcome {
  try {
    fn();
    return 'valid';
  } catch (err) {
    if (err instanceof ConfigError) {
      expect(err.message.length).toBeGreaterThan(0);
      for (const line of err.issues) expect(line).toMatch(/^\S.*: \S/);
      return 'invalid';
    }
    throw err;
  }
}

/** Loads a document under every environment it declares, plus one it does not. */
function loadEverywhere(doc: Record<string, unknown>, env: NodeJS.ProcessEnv): Outcome[] {
  return [...environmentNames(doc), 'nowhere'].map((name) => outcome(() => resolveDocument(doc, name, CONFIG_PATH, env)));
}

const envArb = fc.dictionary(fc.constantFrom('GITHUB_TOKEN', 'API_URL', 'HOME', 'EMPTY', 'constructor'), fc.string({ maxLength: 12 }), { maxKeys: 3 });

describe('loading never fails with anything but a ConfigError', { timeout: TIMEOUT_MS }, () => {
  it('for arbitrary JSON values written as YAML', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), envArb, (value, env) => {
        outcome(() => loadText(dump(value, { skipInvalid: true }), undefined, env));
      }),
      { numRuns: RUNS },
    );
  });

  it('for arbitrary objects handed straight to resolveDocument', () => {
    const keys = fc.oneof(fc.constantFrom('app', 'provider', 'gates', 'smoke', 'environments', 'staging', 'window', 'type', '__proto__', 'constructor'), fc.string({ maxLength: 6 }));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(keys, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(keys, value, { maxKeys: 6 }), envArb, (doc, env) => {
        loadEverywhere(doc as Record<string, unknown>, env);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random YAML-ish text', () => {
    const token = fc.constantFrom('app', 'provider', ':', ' ', '\n', '  ', '- ', '{', '}', '[', ']', ',', '"', "'", '&a', '*a', '!!str', '!!binary', '? ', '#', '${X}', '$${', '---', '...', 'true', '10s', '|', '>', '<<');
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(token, { maxLength: 40 }).map((t) => t.join('')));
    fc.assert(
      fc.property(text, (t) => {
        outcome(() => loadText(t, 'production', {}));
      }),
      { numRuns: RUNS },
    );
  });

  it('for mutations of the canonical example', () => {
    const canonical = parseConfigText(CANONICAL_YAML, CONFIG_PATH);
    const mutation = fc.record({
      kind: fc.constantFrom('delete', 'replace', 'add'),
      at: fc.nat(),
      value: fc.jsonValue({ maxDepth: 2 }),
      key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('app', 'window', 'false', 'environments', '__proto__')),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const doc = structuredClone(canonical);
        for (const m of mutations) mutate(doc, m);
        loadEverywhere(doc, CANONICAL_ENV);
        outcome(() => loadText(dump(doc, { skipInvalid: true }), 'staging', CANONICAL_ENV));
      }),
      { numRuns: RUNS },
    );
  });
});

interface Mutation {
  kind: 'delete' | 'replace' | 'add';
  at: number;
  value: unknown;
  key: string;
}

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) pair in `doc`, depth first. */
function slots(doc: unknown, out: [Container, string | number][] = []): [Container, string | number][] {
  const entries: [string | number, unknown][] = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : doc && typeof doc === 'object' ? Object.entries(doc) : [];
  for (const [key, value] of entries) {
    out.push([doc as Container, key]);
    slots(value, out);
  }
  return out;
}

function mutate(doc: Record<string, unknown>, m: Mutation): void {
  const all = slots(doc);
  const [container, key] = all[m.at % all.length]!;
  const target = container as Record<string | number, unknown>;
  if (m.kind === 'delete') {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete target[key];
  } else if (m.kind === 'replace') {
    target[key] = m.value;
  } else {
    const inner = target[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) Object.defineProperty(inner, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else target[key] = { [m.key]: m.value };
  }
}
