/**
 * The agent's own events (a crash loop, an ejection, a dead-man abort), kept in a
 * small append-only file beside its state: the agent does not open the state
 * store, so the next command or `shipgate serve` reads this file and journals each
 * event exactly once (by its id). The file is bounded: past DEFAULT_AGENT_EVENTS_MAX
 * lines it keeps the newest half.
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/** Lines kept at most in `events.jsonl` (a few hundred KB at most). */
export const DEFAULT_AGENT_EVENTS_MAX = 1000;

export const AGENT_EVENT_TYPES = ['agent:crash_loop', 'agent:ejected', 'agent:deadman_abort'] as const;
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number];

export interface AgentEvent {
  /** Unique: what makes journaling it idempotent. */
  id: string;
  at: string;
  type: AgentEventType;
  /** The deployment whose rollout this is about, when the agent knows it; else the reader picks the environment's newest. */
  deploymentId: string | null;
  version: string;
  message: string;
  data: Record<string, unknown>;
}

export function agentEventsFile(stateDir: string): string {
  return join(stateDir, 'events.jsonl');
}

export class AgentEventLog {
  private lines: number | null = null;

  constructor(
    private readonly file: string,
    private readonly max = DEFAULT_AGENT_EVENTS_MAX,
  ) {}

  /** Appends one event (synchronously: it is on disk before the agent acts on). */
  append(e: Omit<AgentEvent, 'id'>): AgentEvent {
    const event: AgentEvent = { id: randomUUID(), ...e };
    this.lines ??= readAgentEvents(this.file).length;
    if (this.lines >= this.max) this.trim();
    appendFileSync(this.file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    this.lines++;
    return event;
  }

  /** Keeps the newest half, atomically (a reader sees the old file or the new one). */
  private trim(): void {
    const kept = readAgentEvents(this.file).slice(-Math.floor(this.max / 2));
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, kept.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, this.file);
    this.lines = kept.length;
  }
}

/** The events in a file, oldest first; a torn last line (a crash mid-write) and foreign lines are skipped. */
export function readAgentEvents(file: string): AgentEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: AgentEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line) as AgentEvent;
      if (typeof e.id === 'string' && (AGENT_EVENT_TYPES as readonly string[]).includes(e.type)) out.push(e);
    } catch {
      // torn line
    }
  }
  return out;
}
