import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PRIVATE_FILE_MODE } from '../../runtime/private-files.js';

/**
 * A dump names the user who created each trigger, view and routine
 * (`DEFINER=\`root\`@\`localhost\``); restoring that as another user needs SUPER.
 * Like pg_restore --no-owner, restores drop the clause, so objects belong to the
 * restoring user. Data lines (`INSERT INTO`) are left as they are: a value may
 * contain the same text.
 */

const DEFINER_COMMENT_RE = /\/\*!50017 DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`\s*\*\/ ?/g;
const DEFINER_RE = /\bDEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*` ?/g;

export function stripDefiner(line: string): string {
  if (line.startsWith('INSERT INTO')) return line;
  return line.replace(DEFINER_COMMENT_RE, '').replace(DEFINER_RE, '');
}

/** Copies the dump `from` to `to` without DEFINER clauses, line by line, after `prologue`. */
export async function copyWithoutDefiners(from: string, to: string, prologue = ''): Promise<void> {
  const out = createWriteStream(to, { mode: PRIVATE_FILE_MODE });
  if (prologue) out.write(prologue);
  for await (const line of createInterface({ input: createReadStream(from, 'utf8'), crlfDelay: Infinity })) {
    if (!out.write(`${stripDefiner(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
