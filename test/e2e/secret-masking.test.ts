import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../support/project.js';
import { encodedForms, secretArbitrary } from '../support/secret-forms.js';

/**
 * A deploy script prints a secret in every encoded form, alone and inside the
 * text around it (a Basic auth header, a JSON body, a URL), on stdout and
 * stderr, then fails (so the output's tail also reaches the error message, the
 * record and the journal). No form may appear in what shipgate printed, nor in
 * any file under `.shipgate/`: the SQLite database (and its WAL), the records,
 * the config cache.
 */

const CONFIG = `app: secretforms
provider:
  type: command
  deploy: ["node", "print-forms.js"]
  env: { API_TOKEN: "\${API_TOKEN}" }
gates: { semver: false }
`;

const PRINT_FORMS = `import { readFileSync } from 'node:fs';
const forms = JSON.parse(readFileSync('forms.json', 'utf8'));
for (const f of forms) {
  console.log(f);
  console.error('Authorization: Basic ' + f);
  console.log(JSON.stringify({ token: f, n: 1 }));
  console.error('GET https://api.example.com/v1?key=' + f + '&page=2');
}
process.exit(3);
`;

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

describe('secrets in every encoded form, through a real deploy', () => {
  it('for random secrets, no form reaches stdout, stderr, the database, the records or any other file under .shipgate', async () => {
    await fc.assert(
      fc.asyncProperty(secretArbitrary(12, 32, { lineBreaks: false }), fc.string({ unit: fc.constantFrom(...'ab:'), maxLength: 4 }), async (secret, prefix) => {
        const p = await makeProject(CONFIG, { 'print-forms.js': PRINT_FORMS });
        try {
          const forms = encodedForms(secret, prefix);
          await p.write('forms.json', JSON.stringify(Object.values(forms)));
          const r = await p.run(['deploy', 'v1.0.0'], { env: { API_TOKEN: secret } });
          expect(r.code, r.stderr).toBe(1);
          expect(r.stdout).toContain('Authorization: Basic ');
          expect(r.stdout).toContain('***');
          const files = filesUnder(join(p.dir, '.shipgate'));
          expect(files.map((f) => f.path.slice(p.dir.length + 1)).filter((f) => f.startsWith('.shipgate/records/'))).toHaveLength(1);
          for (const [name, form] of Object.entries(forms)) {
            expect(r.stdout.includes(form), `${name} ${JSON.stringify(form)} in stdout`).toBe(false);
            expect(r.stderr.includes(form), `${name} ${JSON.stringify(form)} in stderr`).toBe(false);
            const needle = Buffer.from(form, 'utf8');
            for (const f of files) expect(f.bytes.includes(needle), `${name} ${JSON.stringify(form)} in ${f.path}`).toBe(false);
          }
        } finally {
          await p.cleanup();
        }
      }),
      { numRuns: 8 },
    );
  }, 240_000);
});
