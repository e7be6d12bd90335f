/**
 * Writes the config reference into README.md between the config-reference markers.
 * Run with `npm run docs:config` after changing anything in src/config/schema/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, replaceReferenceSection } from '../src/config/docs.js';

const readmePath = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const before = readFileSync(readmePath, 'utf8');
const after = replaceReferenceSection(before, renderConfigReference());
if (after === before) {
  console.log('README.md config reference is up to date');
} else {
  writeFileSync(readmePath, after);
  console.log('README.md config reference updated');
}
