import { describe, expect, it } from 'vitest';
import { checkVersionSafety, MAX_VERSION_LENGTH } from '../../../src/gates/version.js';

describe('checkVersionSafety', () => {
  it.each(['v1.2.3', 'v2.0.0-rc.1', 'v1.2.3+build.7', '2026.11.23_1', 'a', 'release-42', 'x'.repeat(MAX_VERSION_LENGTH)])('accepts %s', (v) => {
    expect(checkVersionSafety(v)).toBeNull();
  });

  it('rejects shell metacharacters, naming the character and the allowed set', () => {
    expect(checkVersionSafety('v1.2.3;rm -rf /')).toBe(
      'version "v1.2.3;rm -rf /" contains ";" — versions may only use letters, digits, ".", "_", "+" and "-"',
    );
    expect(checkVersionSafety('v1.2.3$(id)')).toContain('contains "$"');
    expect(checkVersionSafety('../../etc')).toContain('contains "/"');
  });

  it('says "whitespace" for spaces, tabs and newlines', () => {
    expect(checkVersionSafety('v1.2.3 ')).toContain('contains whitespace');
    expect(checkVersionSafety('v1.2.3\nv9')).toBe('version "v1.2.3\\nv9" contains whitespace — versions may only use letters, digits, ".", "_", "+" and "-"');
    expect(checkVersionSafety('v1\t2')).toContain('whitespace');
    expect(checkVersionSafety('   ')).toContain('only whitespace');
  });

  it('rejects an empty version', () => {
    expect(checkVersionSafety('')).toBe('the version is empty');
  });

  it('rejects over-long versions and says how long they are', () => {
    const long = 'v1.2.3-' + 'a'.repeat(80);
    const msg = checkVersionSafety(long);
    expect(msg).toContain(`too long (${long.length} characters; at most 64)`);
    expect(msg!.length).toBeLessThan(150);
  });

  it('must start with a letter or digit', () => {
    expect(checkVersionSafety('-rf')).toBe('version "-rf" must start with a letter or digit');
    expect(checkVersionSafety('.hidden')).toContain('must start with a letter or digit');
    expect(checkVersionSafety('+1')).toContain('must start with a letter or digit');
  });

  it('shows control characters escaped', () => {
    expect(checkVersionSafety('v1\u0000')).toContain('"v1\\u0000" contains "\\u0000"');
  });
});
