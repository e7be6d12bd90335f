import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentApiError } from '../../../../src/agent/daemon/errors.js';
import { duplicateKeyPath, parseJsonBody } from '../../../../src/agent/daemon/json-body.js';

describe('duplicateKeyPath', () => {
  it('finds a key given twice, at any depth, with its path', () => {
    expect(duplicateKeyPath('{"a":1,"a":2}')).toEqual(['a']);
    expect(duplicateKeyPath('{"w":{"v1":50,"v2":0,"v1":100}}')).toEqual(['w', 'v1']);
    expect(duplicateKeyPath('{"s":{"env":[{"x":1},{"y":1,"y":2}]}}')).toEqual(['s', 'env', 1, 'y']);
    expect(duplicateKeyPath('{"a":"\\u0061","\\u0061":1}')).toEqual(['a']); // the same key, escaped
  });

  it('is not fooled by keys that appear in strings, arrays or sibling objects', () => {
    expect(duplicateKeyPath('{"a":"{\\"a\\":1,\\"a\\":2}","b":["a","a"],"c":{"a":1},"d":{"a":1}}')).toBeNull();
    expect(duplicateKeyPath('[{"a":1},{"a":1}]')).toBeNull();
    expect(duplicateKeyPath('{"a\\"":1,"a":2}')).toBeNull();
  });

  it('walks a deep nesting without recursion', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(duplicateKeyPath(deep)).toBeNull();
  });

  it('finds a duplicate exactly when some object of a random JSON text repeats a key', () => {
    type Doc = { text: string; dup: boolean };
    const key = fc.constantFrom('a', 'b', 'a"', '\\u0061', ',', '{', ':');
    const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
      doc: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom<Doc>({ text: '1', dup: false }, { text: '"x,{:}"', dup: false }, { text: 'null', dup: false }),
        fc.array(tie('doc'), { maxLength: 3 }).map((items) => ({ text: `[${items.map((i) => i.text).join(',')}]`, dup: items.some((i) => i.dup) })),
        fc.array(fc.tuple(key, tie('doc')), { maxLength: 3 }).map((pairs) => {
          const names = pairs.map(([k]) => JSON.parse(`"${k.replace('"', '\\"')}"`) as string);
          return { text: `{${pairs.map(([k, v]) => `"${k.replace('"', '\\"')}":${v.text}`).join(',')}}`, dup: new Set(names).size < names.length || pairs.some(([, v]) => v.dup) };
        }),
      ),
    }));
    fc.assert(
      fc.property(doc, ({ text, dup }) => {
        JSON.parse(text); // the generator writes valid JSON
        expect(duplicateKeyPath(text) !== null).toBe(dup);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseJsonBody', () => {
  it('refuses what is not JSON without quoting it (a body may hold a secret)', () => {
    expect(() => parseJsonBody('{"env":{"TOKEN":"s3cret"')).toThrow(new AgentApiError(400, 'body: expected valid JSON'));
  });

  it('refuses a key given twice, naming its path', () => {
    expect(() => parseJsonBody('{"weights":{"v1":100},"weights":{}}')).toThrow('weights: expected once (got the key twice)');
  });
});
