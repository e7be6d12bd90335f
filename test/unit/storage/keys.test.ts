import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { assertKey, assertPrefix, keyProblem, MAX_KEY_BYTES } from '../../../src/storage/keys.js';

describe('storage keys', () => {
  it('accepts relative "/"-separated keys, dots inside names included', () => {
    for (const key of ['a', 'app/prod/db/20260101T000000Z-1f2e.dump.gz', 'a..b/c.', 'ü/ß', 'x'.repeat(MAX_KEY_BYTES)]) expect(keyProblem(key)).toBeNull();
  });

  it('names what is wrong with a bad key', () => {
    expect(Object.fromEntries(['', '/abs', 'a//b', 'a/', '..', 'a/../b', 'a/./b', '.hidden', 'a/.x.partial', 'a\0b', 'a\\b', 'é'.repeat(513)].map((k) => [k.slice(0, 12), keyProblem(k)]))).toEqual({
      '': 'is empty',
      '/abs': 'starts with "/" (keys are relative)',
      'a//b': 'has an empty segment ("//" or a trailing "/")',
      'a/': 'has an empty segment ("//" or a trailing "/")',
      '..': 'has a ".." segment',
      'a/../b': 'has a ".." segment',
      'a/./b': 'has a "." segment',
      '.hidden': 'has a segment starting with "." (".hidden")',
      'a/.x.partial': 'has a segment starting with "." (".x.partial")',
      'a\0b': 'contains a NUL character',
      'a\\b': 'contains "\\" (keys are "/"-separated)',
      'éééééééééééé': 'is longer than 1024 bytes',
    });
  });

  it('assertKey and assertPrefix throw a UsageError naming the key; a prefix may be empty or end with "/" or mid-segment', () => {
    expect(() => assertKey('a/../etc/passwd')).toThrow(new UsageError('invalid storage key "a/../etc/passwd": has a ".." segment'));
    for (const prefix of ['', 'app/', 'app/pr', 'app/prod/db/']) expect(() => assertPrefix(prefix)).not.toThrow();
    expect(() => assertPrefix('../')).toThrow(new UsageError('invalid storage prefix "../": has a ".." segment'));
    expect(() => assertPrefix('app//')).toThrow('invalid storage prefix "app//": has an empty segment');
  });
});
