import { describe, expect, it } from 'vitest';
import { EventBus, type AnyLifecycleEvent } from '../../../src/pipeline/events.js';

const context = { deploymentId: 'dep_x', app: 'shop', environment: 'production', version: 'v1.2.0', kind: 'deploy' as const, actor: 'alice' };
const event: AnyLifecycleEvent = { type: 'stage:started', at: '2026-11-23T17:00:00.000Z', context, deploymentId: 'dep_x', stage: 'deploy' };

function collecting(): { bus: EventBus; failures: { type: string; error: unknown }[] } {
  const failures: { type: string; error: unknown }[] = [];
  return { bus: new EventBus({ onListenerError: (f) => failures.push(f) }), failures };
}

describe('EventBus', () => {
  it('a listener that throws is reported; the others still hear the event, in order', async () => {
    const { bus, failures } = collecting();
    const heard: string[] = [];
    bus.on('stage:started', () => void heard.push('first'));
    bus.on('stage:started', () => {
      throw new Error('boom');
    });
    bus.onAny((e) => void heard.push(`any ${e.type}`));
    await bus.emit(event);
    expect(heard).toEqual(['first', 'any stage:started']);
    expect(failures).toEqual([{ type: 'stage:started', error: new Error('boom') }]);
  });

  it('a listener whose promise rejects is reported, never rejects emit, and leaves no unhandled rejection', async () => {
    const { bus, failures } = collecting();
    bus.onAny(async () => {
      throw new Error('webhook down');
    });
    await expect(bus.emit(event, 1000)).resolves.toBeUndefined();
    expect(failures.map((f) => (f.error as Error).message)).toEqual(['webhook down']);
  });

  it('emit waits for async listeners up to waitMs, then lets them run on; settle() waits for those left', async () => {
    const { bus } = collecting();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let done = false;
    bus.onAny(async () => {
      await gate;
      done = true;
    });
    const started = Date.now();
    await bus.emit(event, 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(done).toBe(false);
    setTimeout(release, 20);
    await bus.settle(5000);
    expect(done).toBe(true);
  });

  it('emit without waitMs does not wait; events carry their context', async () => {
    const { bus } = collecting();
    const seen: AnyLifecycleEvent[] = [];
    bus.onAny(async (e) => {
      await new Promise((r) => setTimeout(r, 10_000).unref());
      seen.push(e);
    });
    bus.on('stage:started', (e) => void seen.push(e));
    await bus.emit(event);
    expect(seen).toEqual([event]);
    expect(seen[0]!.context).toEqual(context);
  });

  it('a reporter that throws is swallowed (it has nowhere left to report to)', async () => {
    const bus = new EventBus({
      onListenerError: () => {
        throw new Error('reporter broken');
      },
    });
    bus.onAny(() => {
      throw new Error('listener broken');
    });
    await expect(bus.emit(event)).resolves.toBeUndefined();
  });

  it('off() stops delivery', async () => {
    const { bus } = collecting();
    const heard: string[] = [];
    const off = bus.on('stage:started', () => void heard.push('x'));
    await bus.emit(event);
    off();
    await bus.emit(event);
    expect(heard).toEqual(['x']);
  });
});
