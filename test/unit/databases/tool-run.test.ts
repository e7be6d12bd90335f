import { describe, expect, it } from 'vitest';
import { BackupError } from '../../../src/databases/errors.js';
import { runTool } from '../../../src/databases/tool-run.js';
import { processRunner } from '../../../src/runtime/process.js';

const PASSWORD = 'S3cret-Pw-1a2b3c';

describe('runTool', () => {
  it('returns stdout lines of a tool that succeeds', async () => {
    expect(await runTool({ run: processRunner, argv: ['sh', '-c', 'echo one; echo two'], secrets: [], what: 'echo' })).toEqual(['one', 'two']);
  });

  it('names the tool and its last stderr lines, with secrets masked, when it fails', async () => {
    const script = `echo "noise" >&2; echo "connection to postgres://app:${PASSWORD}@db/x failed" >&2; echo "password ${PASSWORD} rejected" >&2; exit 3`;
    const err = await runTool({ run: processRunner, argv: ['sh', '-c', script], secrets: [PASSWORD], what: 'pg_dump of database x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toBe('pg_dump of database x failed (exited with code 3): noise | connection to postgres://app:***@db/x failed | password *** rejected');
  });

  it('says when the tool is not installed', async () => {
    await expect(runTool({ run: processRunner, argv: ['sg-no-such-dump-tool'], secrets: [], what: 'a dump' })).rejects.toThrow(/^a dump failed \(could not start: .*ENOENT/);
  });
});
