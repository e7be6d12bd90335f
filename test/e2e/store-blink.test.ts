/**
 * Acceptance (issue 8, §3): the store can blink. A private PostgreSQL server is
 * killed during a deploy and started again. A short outage is ridden out: the
 * deploy completes as if nothing happened, with every output line journaled. An
 * outage longer than the retry budget ends the run as interrupted (exit 6), with
 * its journal and lock left for the next command, which settles it. Neither
 * prints an unhandled rejection or a stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type CliResult, type Project } from '../support/project.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const LINES = 60;
const SCRIPTS = {
  'deploy.sh': `#!/bin/sh
i=1
while [ $i -le ${LINES} ]; do echo "line $i of $SHIPGATE_VERSION"; i=$((i+1)); sleep 0.1; done
echo "$SHIPGATE_VERSION" > live.txt
`,
  'rollback.sh': `#!/bin/sh
echo "$SHIPGATE_VERSION" > live.txt
`,
};

let cluster: PgCluster & { dispose(): Promise<void> };
const projects: Project[] = [];
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  await cluster?.dispose();
});

async function project(retry: string): Promise<Project> {
  const p = await makeProject(`app: blink${projects.length}\nstore: { url: "${cluster.url}", retry: ${retry} }\nprovider:\n  type: command\n  deploy: ["./deploy.sh"]\n  rollback: ["./rollback.sh"]\n`, SCRIPTS);
  projects.push(p);
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deploys `version` and, once its script is under way, takes the database away for `downMs`. */
async function deployThroughOutage(p: Project, version: string, downMs: number): Promise<CliResult> {
  const deploy = p.spawn(['deploy', version, '--json']);
  await deploy.waitFor(`line 5 of ${version}`);
  await cluster.kill();
  await sleep(downMs);
  await cluster.start();
  return deploy.done;
}

function outputLines(events: { type: string; data: { lines?: { text: string }[] } }[]): string[] {
  return events.filter((e) => e.type === 'step:output').flatMap((e) => e.data.lines!.map((l) => l.text));
}

function expectNoCrash(r: CliResult): void {
  expect(r.stderr).not.toMatch(/Unhandled|unhandled|\n\s+at .+:\d+:\d+/);
}

describe('a PostgreSQL restart during a deploy', () => {
  it('1 s down: the deploy completes normally, with every output line journaled', async () => {
    const p = await project('30s');
    const r = await deployThroughOutage(p, 'v1.0.0', 1000);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'succeeded' });
    expect(r.stderr).toContain('warning: the state store is not answering');
    const shown = json<{ events: { type: string; data: { lines?: { text: string }[] } }[] }>(await p.run(['show', json<{ deployment_id: string }>(r).deployment_id, '--events', '--json']));
    expect(outputLines(shown.events)).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1} of v1.0.0`));
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
  }, 90_000);

  it('4 s down, within the default budget: the deploy still completes normally', async () => {
    const p = await project('30s');
    const r = await deployThroughOutage(p, 'v1.0.0', 4000);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(0);
    const shown = json<{ events: { type: string; data: { lines?: { text: string }[] } }[] }>(await p.run(['show', json<{ deployment_id: string }>(r).deployment_id, '--events', '--json']));
    expect(outputLines(shown.events)).toHaveLength(LINES);
  }, 90_000);

  it('4 s down, past a 2 s budget: exit 6 (interrupted), left for the next command, which settles it', async () => {
    const p = await project('2s');
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const r = await deployThroughOutage(p, 'v2.0.0', 4000);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/interrupted: the state store did not answer for 2s .*the next shipgate deploy, rollback or resume settles it/);
    const status = json<{ activity: { state: string; version: string }[] }[]>(await p.run(['status', '--json']));
    expect(status[0]!.activity).toEqual([expect.objectContaining({ version: 'v2.0.0', state: 'interrupted' })]);
    const resume = await p.run(['resume', '--json']);
    expect(resume.code, resume.stderr).toBe(0);
    expect(json(resume)).toMatchObject({ recovered: [expect.objectContaining({ version: 'v2.0.0', status: 'rolled_back' })] });
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
    const after = json<{ activity: unknown[]; lock: unknown; live: { version: string } }[]>(await p.run(['status', '--json']));
    expect(after[0]).toMatchObject({ activity: [], lock: null, live: { version: 'v1.0.0' } });
  }, 90_000);
});
