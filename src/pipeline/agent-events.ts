/**
 * Brings the local agent's own events (its `events.jsonl` per environment) into the
 * journal, so the SSE stream, metrics and everything that reads the journal see them.
 * Each event is journaled exactly once: its id is claimed in the store in the same
 * transaction as the event (a reader killed midway, or two at once, cannot double it).
 * A cursor file per agent folder (the last id read) only saves re-reading.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentEventsFile, readAgentEvents, type AgentEvent } from '../agent/event-log.js';
import { agentsDir } from '../agent/paths.js';
import type { Masker } from '../runtime/secrets.js';
import type { Store } from '../store/contract.js';

export interface IngestOptions {
  store: Store;
  /** The project folder (`.shipgate/agent/<environment>/` below it). */
  root: string;
  app: string;
  masker: Masker;
}

/** Journals what the agents of this project recorded since the last read; resolves to how many events were new. */
export async function ingestAgentEvents(opts: IngestOptions): Promise<number> {
  let added = 0;
  for (const environment of agentEnvironments(opts.root)) {
    const dir = join(agentsDir(opts.root), environment);
    const events = unread(readAgentEvents(agentEventsFile(dir)), readCursor(dir));
    for (const e of events) {
      const deploymentId = await deploymentOf(opts, environment, e);
      if (deploymentId !== null && (await journal(opts, environment, deploymentId, e)) !== null) added++;
    }
    if (events.length > 0) writeCursor(dir, events.at(-1)!.id);
  }
  return added;
}

/** Pure: the events after the cursor's id (all of them when the cursor is unknown: the ids make that safe). */
export function unread(events: readonly AgentEvent[], cursor: string | null): AgentEvent[] {
  const at = cursor === null ? -1 : events.findIndex((e) => e.id === cursor);
  return events.slice(at + 1);
}

function journal(opts: IngestOptions, environment: string, deploymentId: string, e: AgentEvent): Promise<number | null> {
  const data = opts.masker.maskValue({ deploymentId, agentEventId: e.id, environment, version: e.version, message: e.message, data: e.data });
  return opts.store.appendEventOnce(e.id, { deploymentId, at: e.at, type: e.type, stage: null, step: null, data });
}

/** The rollout's deployment the agent named, else the environment's newest (null: nothing to attach it to yet). */
async function deploymentOf(opts: IngestOptions, environment: string, e: AgentEvent): Promise<string | null> {
  if (e.deploymentId !== null) {
    const row = await opts.store.getDeployment(e.deploymentId);
    if (row?.app === opts.app) return row.id;
  }
  const [newest] = await opts.store.listDeployments({ app: opts.app, environment, limit: 1 });
  return newest?.id ?? null;
}

function agentEnvironments(root: string): string[] {
  try {
    return readdirSync(agentsDir(root), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

const cursorFile = (dir: string): string => join(dir, 'events.cursor');

function readCursor(dir: string): string | null {
  try {
    return readFileSync(cursorFile(dir), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function writeCursor(dir: string, id: string): void {
  try {
    writeFileSync(cursorFile(dir), `${id}\n`, { mode: 0o600 });
  } catch {
    // Only a saving: without it the next read offers every event again, and the store refuses the known ones.
  }
}
