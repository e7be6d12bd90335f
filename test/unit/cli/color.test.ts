import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../../src/cli/output.js';

/** no-color.org and the FORCE_COLOR convention (as Node and chalk read it), with --no-color above both. */
describe('colorEnabled', () => {
  it.each([
    // [env, TTY, --no-color, expected]
    [{}, true, false, true],
    [{}, false, false, false],
    [{ NO_COLOR: '1' }, true, false, false],
    [{ NO_COLOR: '' }, true, false, true],
    [{ NO_COLOR: '' }, false, false, false],
    [{ FORCE_COLOR: '0' }, true, false, false],
    [{ FORCE_COLOR: 'false' }, true, false, false],
    [{ FORCE_COLOR: '1' }, false, false, true],
    [{ FORCE_COLOR: '3' }, false, false, true],
    [{ FORCE_COLOR: '' }, false, false, true],
    [{ FORCE_COLOR: 'true' }, false, false, true],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, false, true],
    [{ FORCE_COLOR: '0', NO_COLOR: '' }, true, false, false],
    [{ FORCE_COLOR: '1' }, true, true, false],
    [{}, true, true, false],
  ] as const)('%j, tty %s, --no-color %s: %s', (env, tty, noColor, expected) => {
    expect(colorEnabled({ color: !noColor }, env, tty)).toBe(expected);
  });

  it('never colors --json output', () => {
    expect(colorEnabled({ json: true }, { FORCE_COLOR: '1' }, true)).toBe(false);
  });
});
