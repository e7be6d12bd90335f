/**
 * The S3 storage does not print the SDK's Node-version notice in the middle of a
 * command's output (it does on Node 20 unless switched off), and the switch can
 * still bring it back.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

const SCRIPT = `
const { createS3Storage } = await import(${JSON.stringify(new URL('../../dist/storage/s3.js', import.meta.url).href)});
const s = createS3Storage({ bucket: 'b', endpoint: 'http://127.0.0.1:9', region: 'us-east-1' });
await s.list('x').catch(() => undefined);
`;

async function stderrOf(env: Record<string, string>): Promise<string> {
  const r = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], { env: { ...process.env, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_MAX_ATTEMPTS: '1', ...env } });
  return r.stderr;
}

describe('the S3 SDK notice about Node versions', () => {
  it('is not printed by default', async () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    expect(await stderrOf({})).not.toContain('NodeVersionSupportWarning');
  });

  it.runIf(Number(process.versions.node.split('.')[0]) < 22)('comes back when the SDK switch says false (Node 20)', async () => {
    expect(await stderrOf({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' })).toContain('NodeVersionSupportWarning');
  });
});
