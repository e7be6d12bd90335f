import type { AnyLifecycleEvent, EventBus } from '../../pipeline/events.js';
import type { Output } from '../output.js';
import { describeEvent } from './describe-event.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * In a TTY: a live listr2 view of the stages and their current step while the
 * saga runs forward; undo and the outcome follow as plain lines.
 */
export function attachLiveRenderer(bus: EventBus, out: Output): { detach: () => void; done: () => Promise<void> } {
  const stages = new Map<string, Deferred>();
  const outputs = new Map<string, (text: string) => void>();
  let run: Promise<void> = Promise.resolve();
  let live = false;
  const plainLine = (e: AnyLifecycleEvent): void => {
    const text = describeEvent(e, out.verbose);
    if (text !== null && !live) out.line(text);
  };
  const off = bus.onAny((e) => {
    if (e.type === 'deploy:started') {
      out.line(describeEvent(e, out.verbose)!);
      for (const s of e.stages) stages.set(s, deferred());
      live = true;
      run = startListr(e.stages, stages, outputs, out).finally(() => {
        live = false;
      });
      return;
    }
    if (e.type === 'stage:finished') return stages.get(e.stage)?.resolve();
    if (e.type === 'stage:failed') return stages.get(e.stage)?.reject(new Error(e.error));
    if (e.type === 'step:started' || e.type === 'gate:evaluated' || e.type === 'gate:waiting' || e.type === 'step:output') {
      const stage = 'stage' in e ? e.stage : 'gates';
      const text = describeEvent(e, out.verbose);
      if (text) outputs.get(stage)?.(text.trim());
      if (live) return;
    }
    if (live && (e.type.startsWith('undo:') || e.type === 'deploy:finished')) {
      for (const d of stages.values()) d.resolve();
    }
    plainLine(e);
  });
  return {
    detach: off,
    done: async () => {
      for (const d of stages.values()) d.resolve();
      await run;
    },
  };
}

async function startListr(names: string[], stages: Map<string, Deferred>, outputs: Map<string, (t: string) => void>, out: Output): Promise<void> {
  const { Listr } = await import('listr2');
  const list = new Listr(
    names.map((name) => ({
      title: name,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        outputs.set(name, (text) => (task.output = out.masker.mask(text)));
        await stages.get(name)!.promise;
      },
    })),
    { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false }, renderer: 'default', fallbackRenderer: 'simple' },
  );
  await list.run().catch(() => undefined);
}
