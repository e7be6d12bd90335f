import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../support/project.js';
import { eventually, freePort, localConfig, makeDemoProject, type LocalProject } from '../support/local-project.js';

/**
 * The agent's own events reach the journal: a crash loop of a live version, recorded by the
 * agent in its event file, is journaled by the next command exactly once, also when that
 * command has lost its cursor (the store refuses an id it has). The agent started by a
 * `SHIPGATE_LOG_FORMAT=json` run logs JSON lines, masked.
 */

const SECRET = 'ae-s3cret-Tok3n-4c5d6e7f';

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

interface Shown {
  events: { type: string; data: { agentEventId?: string; message?: string; version?: string; environment?: string } }[];
}

describe('agent events in the journal', () => {
  it('a crash loop is journaled once by the next command, with the JSON agent log masked', async () => {
    const port = await freePort();
    const config = localConfig(port, 'rollout: { strategy: immediate }\n').replace('env: { DEMO_CONTROL: "1" }', 'env: { DEMO_CONTROL: "1", API_TOKEN: "${API_TOKEN}" }');
    p = await makeDemoProject(config, port, ['production']);
    const env = { API_TOKEN: SECRET, SHIPGATE_LOG_FORMAT: 'json' };
    const deploy = await p.run(['deploy', 'v1.0.0', '--json'], { env });
    expect(deploy.code, deploy.stderr).toBe(0);
    const id = json<{ deployment_id: string }>(deploy).deployment_id;

    // From now on every start of v1.0.0 crashes soon after it listens; one kill starts the loop.
    const releases = join(p.dir, '.shipgate', 'releases');
    const dist = join(releases, readdirSync(releases).find((d) => d.startsWith('v1.0.0'))!, 'dist');
    writeFileSync(join(dist, 'faults.json'), JSON.stringify({ crashAfterMs: 200 }));
    const instance = (await p.agent()).versions[0]!.instances[0]!;
    process.kill(instance.pid!, 'SIGKILL');
    const agentDir = join(p.dir, '.shipgate', 'agent', 'production');
    const eventsFile = join(agentDir, 'events.jsonl');
    await eventually(async () => (readFileSync(eventsFile, 'utf8').includes('agent:crash_loop') ? true : undefined), 'the crash loop in the event file', 20_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${readFileSync(join(agentDir, 'agent.log'), 'utf8')}`);
      },
    );

    // The next command journals it; one more without the cursor does not journal it again.
    const first = await p.run(['resume'], { env: { API_TOKEN: SECRET } });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    rmSync(join(agentDir, 'events.cursor'));
    const again = await p.run(['resume'], { env: { API_TOKEN: SECRET } });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const shown = json<Shown>(await p.run(['show', id, '--events', '--json']));
    const loops = shown.events.filter((e) => e.type === 'agent:crash_loop');
    expect(loops).toHaveLength(1);
    expect(loops[0]!.data).toMatchObject({ version: 'v1.0.0', environment: 'production' });
    expect(loops[0]!.data.message).toMatch(/^v1\.0\.0#1 is crash-looping: 3 exits within 60s/);

    // The agent's log: JSON lines only (role, level, time, msg), the crash loop with its fields, no secret.
    const log = readFileSync(join(agentDir, 'agent.log'), 'utf8');
    const lines = log.trimEnd().split('\n').map((l) => JSON.parse(l) as { role: string; level: string; time: string; msg: string; event?: string; event_id?: string });
    expect(lines.every((l) => l.role === 'agent' && typeof l.msg === 'string' && typeof l.time === 'string')).toBe(true);
    expect(lines.find((l) => l.event === 'agent:crash_loop')).toMatchObject({ level: 'warn', event_id: loops[0]!.data.agentEventId });
    expect(log).not.toContain(SECRET);
  }, 60_000);
});
