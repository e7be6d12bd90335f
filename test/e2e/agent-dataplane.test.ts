import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { json, REPO_ROOT } from '../support/project.js';
import { eventually, httpGet, makeLocalProject, type AgentView, type LocalProject } from '../support/local-project.js';
import { pace } from '../support/pace.js';

/**
 * The data plane split, with real processes: the router runs in a process of
 * its own under a keeper that holds the listening socket, so a killed agent
 * costs no request, a killed router is back within a second with the last
 * table, and status says plainly which of them is down.
 */

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

interface LoadCounts {
  requests: number;
  ok: number;
  /** ECONNREFUSED: nothing listened. */
  refused: number;
  /** Any other failure: a reset, a non-200. */
  failed: number;
  /** When each request ended (ms), and whether it succeeded. */
  ends: { at: number; ok: boolean }[];
}

/** `loops` clients, each sending GETs back to back, each on a new connection (so connects keep happening). */
function startLoad(port: number, loops = 4): { counts: LoadCounts; stop: () => Promise<LoadCounts> } {
  const counts: LoadCounts = { requests: 0, ok: 0, refused: 0, failed: 0, ends: [] };
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      const outcome = await httpGet(port, '/').then(
        (r) => (r.status === 200 ? 'ok' : 'failed'),
        (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? 'refused' : 'failed'),
      );
      counts.requests++;
      counts[outcome]++;
      counts.ends.push({ at: Date.now(), ok: outcome === 'ok' });
      await pace();
    }
  };
  const all = Promise.all(Array.from({ length: loops }, client));
  return {
    counts,
    stop: async () => {
      running = false;
      await all;
      return counts;
    },
  };
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A killed process nobody reaped yet is gone too.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

async function killed(pid: number, group = false): Promise<void> {
  process.kill(group ? -pid : pid, 'SIGKILL');
  await eventually(async () => (isGone(pid) ? true : undefined), `pid ${pid} to be gone`);
}

function instancePids(a: AgentView): (number | null)[] {
  return a.versions.flatMap((v) => v.instances.map((i) => i.pid));
}

async function deployed(rollout = ''): Promise<LocalProject> {
  const q = await makeLocalProject(rollout);
  const r = await q.run(['deploy', 'v1.0.0']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return q;
}

describe('a killed agent', () => {
  it('costs no request: the router keeps serving the last table, status says the agent is down, and the next agent adopts router and instances', async () => {
    p = await deployed();
    const before = await p.agent();
    const routerPid = before.router.process!.pid;
    const load = startLoad(p.port);
    await eventually(async () => (load.counts.ok >= 20 ? true : undefined), 'traffic through the router');
    // The agent's whole process group, as a supervisor or an OOM kill would: the keeper and the router are not in it.
    await killed(before.pid, true);
    const atKill = load.counts.requests;
    await eventually(async () => (load.counts.requests >= atKill + 50 ? true : undefined), 'traffic with the agent down');

    const agentStatus = await p.run(['agent', 'status']);
    expect(agentStatus.stdout).toMatch(/^agent: +DOWN \(no answer on its socket; pid \d+ is gone\)$/m);
    expect(agentStatus.stdout).toMatch(new RegExp(`^router: +serving 127\\.0\\.0\\.1:${p.port} with the last weights v1\\.0\\.0=100% \\(pid ${routerPid}, keeper \\d+\\)$`, 'm'));
    const status = await p.run(['status']);
    expect(status.stdout).toMatch(new RegExp(`agent: +DOWN \\(no answer on its socket; pid \\d+ is gone\\); router: serving 127\\.0\\.0\\.1:${p.port} with the last weights v1\\.0\\.0=100%`));
    const statusJson = json<{ agent: { state: string; router: { state: string; process: { pid: number } } } }[]>(await p.run(['status', '--json']))[0]!;
    expect(statusJson.agent).toMatchObject({ state: 'down', router: { state: 'serving', process: { pid: routerPid } } });

    const start = await p.run(['agent', 'start']);
    expect(start.code, start.stderr).toBe(0);
    const after = await p.agent();
    expect(after.pid).not.toBe(before.pid);
    expect(after.router.process!.pid).toBe(routerPid);
    expect(instancePids(after)).toEqual(instancePids(before));
    expect(after.weights).toEqual({ 'v1.0.0': 100 });
    const counts = await load.stop();
    expect(counts.requests).toBeGreaterThan(atKill + 50);
    expect(counts.failed + counts.refused).toBe(0);
  });

  it('a deploy after the crash works through the adopted router, without a failed request', async () => {
    p = await deployed();
    const before = await p.agent();
    const load = startLoad(p.port);
    await killed(before.pid, true);
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = await p.agent();
    expect(after.router.process!.pid).toBe(before.router.process!.pid);
    expect(after.weights).toEqual({ 'v1.1.0': 100 });
    expect((await p.get('/')).version).toBe('v1.1.0');
    const counts = await load.stop();
    expect(counts.failed + counts.refused).toBe(0);
  });
});

describe('a killed router', () => {
  it('is back within a second with the last table, even with the agent down; no connection is refused', async () => {
    p = await deployed();
    const before = await p.agent();
    const old = before.router.process!;
    await killed(before.pid, true);
    const load = startLoad(p.port);
    await eventually(async () => (load.counts.ok >= 20 ? true : undefined), 'traffic through the router');
    const killedAt = Date.now();
    await killed(old.pid);
    const back = await eventually(async () => load.counts.ends.find((e) => e.at > killedAt + 5 && e.ok), 'an answer from the restarted router');
    await eventually(async () => (load.counts.ok >= 50 ? true : undefined), 'more traffic');
    const counts = await load.stop();
    expect(counts.refused).toBe(0);
    // Only requests in flight on the killed router's own connections can fail: at most one per client.
    expect(counts.failed).toBeLessThanOrEqual(4);
    // Timing on a loaded machine: the restart itself takes a few hundred ms (the bench prints it); allow slack.
    expect(back.at - killedAt).toBeLessThan(2000);
    const agentStatus = await p.run(['agent', 'status', '--json']);
    const router = json<{ router: { state: string; process: { pid: number; keeperPid: number; restarts: number; weights: Record<string, number> } } }>(agentStatus).router;
    expect(router.state).toBe('serving');
    expect(router.process.pid).not.toBe(old.pid);
    expect(router.process).toMatchObject({ keeperPid: old.keeperPid, restarts: 1, weights: { 'v1.0.0': 100 } });
    expect((await p.get('/')).version).toBe('v1.0.0');
  });

  it('with its keeper killed too, status says the router is down; the next deploy starts a new one', async () => {
    p = await deployed();
    const before = await p.agent();
    const { pid, keeperPid } = before.router.process!;
    await killed(keeperPid!);
    await killed(pid);
    const agentStatus = await p.run(['agent', 'status']);
    expect(agentStatus.stdout).toMatch(new RegExp(`^router: +DOWN on 127\\.0\\.0\\.1:${p.port} \\(no answer on its socket, and its keeper \\(pid ${keeperPid}\\) is gone\\)$`, 'm'));
    expect(agentStatus.stdout).toMatch(/^weights: v1\.0\.0=100% \(the agent's; no router serves them now\)$/m);
    expect((await p.run(['status'])).stdout).toMatch(new RegExp(`agent: +pid ${before.pid}, router: DOWN on 127\\.0\\.0\\.1:${p.port} \\(no answer on its socket, and its keeper`));
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = await p.agent();
    expect(after.router.state).toBe('serving');
    expect(after.router.process!.keeperPid).not.toBe(keeperPid);
    expect((await p.get('/')).version).toBe('v1.1.0');
  });
});

describe('weights the router did not take', () => {
  it('are not the agent\'s either: with the router gone, a weight change fails and the agent still says what was served; the lost router is logged once', async () => {
    p = await deployed('rollout: { strategy: bluegreen, pause: 1s, analysis: { interval: 500ms, minRequests: 0 } }\n');
    const d = await p.run(['deploy', 'v1.1.0']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    const before = await p.agent();
    // Blue-green keeps the previous version warm: a weight change to it would be valid.
    expect(before.versions.find((v) => v.version === 'v1.0.0')?.instances.some((i) => i.state === 'ready')).toBe(true);
    const { pid, keeperPid } = before.router.process!;
    await killed(keeperPid!);
    await killed(pid);
    const { agentPaths, agentStateDir } = (await import(pathToFileURL(join(REPO_ROOT, 'dist/agent/paths.js')).href)) as typeof import('../../src/agent/paths.js');
    const { clientFor } = (await import(pathToFileURL(join(REPO_ROOT, 'dist/agent/lifecycle.js')).href)) as typeof import('../../src/agent/lifecycle.js');
    const paths = agentPaths(agentStateDir(p.dir, 'production'));
    const err = await clientFor(paths).setWeights({ 'v1.0.0': 100 }).catch((e: Error) => e);
    expect(String(err)).toMatch(/the router process does not answer/);
    const after = await p.agent();
    expect(after.weights).toEqual({ 'v1.1.0': 100 });
    expect((await p.run(['agent', 'status'])).stdout).toMatch(/^weights: v1\.1\.0=100% \(the agent's; no router serves them now\)$/m);
    await new Promise((r) => setTimeout(r, 1000));
    const lost = readFileSync(paths.logFile, 'utf8').split('\n').filter((l) => l.includes("the router's events:"));
    // Retried every 100 ms: said once per reason (the reset of the kill, then the refusals), not ten times a second.
    expect(lost.length, lost.join('\n')).toBeGreaterThanOrEqual(1);
    expect(lost.length, lost.join('\n')).toBeLessThanOrEqual(2);
    // The next deploy starts a router and sets the weights it serves.
    const r = await p.run(['deploy', 'v1.2.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await p.get('/')).version).toBe('v1.2.0');
  });
});

describe('agent restart --router', () => {
  it('replaces the agent and the router process under load: no failed request, no refused connection; the new router serves the same table', async () => {
    p = await deployed();
    const before = await p.agent();
    const load = startLoad(p.port);
    await eventually(async () => (load.counts.ok >= 20 ? true : undefined), 'traffic through the router');
    const r = await p.run(['agent', 'restart', '--router']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^router replaced: pid ${before.router.process!.pid} -> pid \\d+ on the same socket`, 'm'));
    const atRestart = load.counts.requests;
    await eventually(async () => (load.counts.requests >= atRestart + 50 ? true : undefined), 'traffic after the restart');
    const counts = await load.stop();
    expect(counts.failed + counts.refused).toBe(0);
    const after = await p.agent();
    expect(after.pid).not.toBe(before.pid);
    expect(after.router.process!.pid).not.toBe(before.router.process!.pid);
    expect(after.router.process).toMatchObject({ keeperPid: before.router.process!.keeperPid, weights: { 'v1.0.0': 100 } });
    expect(instancePids(after)).toEqual(instancePids(before));
    // The new agent talks to the new router: a deploy moves its weights.
    const d = await p.run(['deploy', 'v1.1.0']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect((await p.get('/')).version).toBe('v1.1.0');
  });
});

describe('agent stop', () => {
  it('--keep-instances leaves the router serving; a plain stop stops it with the instances', async () => {
    p = await deployed();
    const before = await p.agent();
    const keep = await p.run(['agent', 'stop', '--keep-instances']);
    expect(keep.stdout).toMatch(/instances and router left running/);
    expect((await p.get('/')).version).toBe('v1.0.0');
    const status = await p.run(['agent', 'status']);
    expect(status.stdout).toMatch(/^agent: +not running \(shipgate agent start\)$/m);
    expect(status.stdout).toMatch(/^router: +serving .* with the last weights v1\.0\.0=100%/m);
    expect((await p.run(['agent', 'start'])).code).toBe(0);
    const adopted = await p.agent();
    expect(adopted.router.process!.pid).toBe(before.router.process!.pid);
    const stop = await p.run(['agent', 'stop']);
    expect(stop.stdout).toMatch(/stopped with its instances and the router/);
    const { pid, keeperPid } = before.router.process!;
    await eventually(async () => (isGone(pid) && isGone(keeperPid!) ? true : undefined), 'router and keeper to exit');
    await expect(p.get('/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(readFileSync(join(p.dir, '.shipgate/agent/production/router.log'), 'utf8')).toMatch(/\[keeper \d+\] exiting/);
  });
});

describe('a canary the router ejects', () => {
  it('fails at once: traffic is back on stable well within one analysis interval, and the record names the ejection', async () => {
    p = await deployed(`rollout:
  strategy: canary
  steps: [{ weight: 20, pause: 60s }, { weight: 100, pause: 0s }]
  analysis: { interval: 5s, failureLimit: 3, maxErrorRate: 0.01, minRequests: 1000, onInconclusive: continue }
`);
    await p.write('faults.json', JSON.stringify({ errorRate: 1 }));
    const load = startLoad(p.port);
    const r = await p.run(['deploy', 'v1.1.0', '--json']);
    const counts = await load.stop();
    expect(r.code, r.stderr).toBe(1);
    const out = json<{ status: string; error: string; deployment_id: string; record: { analysis: { verdict: string; reasons: string[] }[] } }>(r);
    expect(out.status).toBe('rolled_back');
    expect(out.error).toMatch(/the router ejected v1\.1\.0: its answers failed again and again in a row .*; the rollout failed at once, in step canary/);
    expect(out.record.analysis.map((a) => a.verdict)).toEqual(['fail']);
    const events = json<{ events: { type: string; at: string; data: { weights?: Record<string, number>; reason?: string } }[] }>(await p.run(['show', out.deployment_id, '--events', '--json'])).events;
    const canaryAt = Date.parse(events.find((e) => e.type === 'rollout:weights' && e.data.weights?.['v1.1.0'] === 20)!.at);
    const revertAt = Date.parse(events.find((e) => e.type === 'rollout:weights' && e.data.reason?.startsWith('revert'))!.at);
    // Analysis alone would wait 3 failed evaluations, 5 s apart: 15 s.
    expect(revertAt - canaryAt).toBeLessThan(5000);
    expect(counts.failed).toBeLessThanOrEqual(5 + 4);
    expect(await p.agent()).toMatchObject({ weights: { 'v1.0.0': 100 } });
  });
});
