import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractReferenceSection, referenceRows, renderConfigReference, replaceReferenceSection } from '../../../src/config/docs.js';

const README = resolve(dirname(fileURLToPath(import.meta.url)), '../../../README.md');

describe('README config reference', () => {
  it('matches the schema', () => {
    const section = extractReferenceSection(readFileSync(README, 'utf8'));
    expect(section, 'README.md has no config-reference markers').toBeDefined();
    expect(section, 'README config reference is out of date: run `npm run docs:config`').toBe(renderConfigReference());
  });

  it('describes every key', () => {
    const missing = referenceRows().filter((r) => r.description === '').map((r) => r.path);
    expect(missing, 'add .describe() to these keys in src/config/schema/').toEqual([]);
  });

  it('documents durations, defaults and nested keys', () => {
    const rows = new Map(referenceRows().map((r) => [r.path, r]));
    expect(rows.get('rollback.window')).toMatchObject({ type: 'duration', default: '`60m`' });
    expect(rows.get('app')).toMatchObject({ type: 'name', default: 'required' });
    expect(rows.get('provider.deploy')).toMatchObject({ type: 'command', default: 'required' });
    expect(rows.get('smoke[].expect')).toMatchObject({ default: '`[200]`' });
    expect(rows.get('gates.window')?.type).toBe('map, or `false` (off)');
  });

  it('replaces only the text between the markers', () => {
    const readme = 'intro\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\nrest\n';
    const updated = replaceReferenceSection(readme, 'new\n');
    expect(updated).toBe('intro\n<!-- config-reference:start -->\nnew\n<!-- config-reference:end -->\nrest\n');
    expect(extractReferenceSection(updated)).toBe('new\n');
  });
});
