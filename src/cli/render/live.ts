import type { AnyLifecycleEvent, EventBus } from '../../pipeline/events.js';
import type { Output } from '../output.js';
import { describeEvent } from './describe-event.js';
import { listrColors } from './listr-colors.js';
import { colorize } from './plain.js';
import { EMPTY_STAGE_VIEW, foldStageView, stageOf, stageViewLines, type StageView } from './stage-view.js';

/** How a stage's task ends in the view. */
type Ending = { kind: 'finished' } | { kind: 'skipped' } | { kind: 'failed'; error: string };

/** The listr task's output channel, while its task function runs. */
interface TaskOutput {
  output: string;
}

interface Slot {
  view: StageView;
  phase: 'waiting' | 'running' | 'ended';
  ending: Ending | null;
  ended: Promise<Ending>;
  end: (e: Ending) => void;
  task: TaskOutput | null;
}

function slot(): Slot {
  let end!: (e: Ending) => void;
  const ended = new Promise<Ending>((res) => (end = res));
  return { view: EMPTY_STAGE_VIEW, phase: 'waiting', ending: null, ended, end, task: null };
}

/**
 * In a terminal: a live listr2 view of the stages while the saga runs forward.
 * Under the running stage it shows the step under way, the rollout's weights and
 * the last analysis verdict (see stage-view.ts); a finished stage keeps its
 * rollout steps. Everything else (undo, recovery, the outcome) is printed as
 * plain lines: while listr owns the screen they wait in a queue, and are printed,
 * in order, the moment it lets go. A task's output is only ever set while its
 * task function runs: listr throws when it is set after the task ended.
 */
export function attachLiveRenderer(bus: EventBus, out: Output): { detach: () => void; done: () => Promise<void> } {
  let slots = new Map<string, Slot>();
  let active = false;
  let run: Promise<void> = Promise.resolve();
  const queued: string[] = [];

  const print = (e: AnyLifecycleEvent): void => {
    const text = describeEvent(e, out.verbose);
    if (text === null) return;
    for (const line of text.split('\n')) {
      if (active) queued.push(colorize(out, e.type, line));
      else out.line(colorize(out, e.type, line));
    }
  };
  const flush = (): void => {
    active = false;
    for (const line of queued.splice(0)) out.line(line);
  };
  const show = (s: Slot): void => {
    if (!s.task) return;
    const phase = s.ending === null ? 'running' : s.ending.kind === 'failed' ? 'failed' : 'finished';
    try {
      s.task.output = out.masker.mask(stageViewLines(s.view, phase).join('\n'));
    } catch {
      // listr's renderer is gone (it ended early): nothing more can be drawn under this task.
      s.task = null;
    }
  };
  const settle = (s: Slot, ending: Ending): void => {
    if (s.ending) return;
    s.ending = ending;
    s.phase = 'ended';
    show(s);
    s.end(ending);
  };
  /** The forward run is over (undo began, or the deployment ended): no stage runs any more. */
  const endForward = (): void => {
    for (const s of slots.values()) settle(s, s.phase === 'running' ? { kind: 'failed', error: 'did not finish' } : { kind: 'skipped' });
  };
  const fold = (e: AnyLifecycleEvent): boolean => {
    const name = stageOf(e) ?? (e.type === 'cancel:requested' ? [...slots].find(([, s]) => s.phase === 'running')?.[0] : undefined);
    const s = name === null || name === undefined ? undefined : slots.get(name);
    if (!s || s.phase !== 'running') return false;
    const next = foldStageView(s.view, e);
    if (!next) return false;
    s.view = next;
    show(s);
    return true;
  };
  const start = (e: Extract<AnyLifecycleEvent, { type: 'deploy:started' }>): void => {
    print(e);
    if (active) return;
    slots = new Map(e.stages.map((name) => [name, slot()]));
    active = true;
    run = startListr(e.stages, slots, out, show).finally(flush);
  };

  const off = bus.onAny((e) => {
    if (e.type === 'deploy:started') return start(e);
    const s = e.type.startsWith('stage:') && 'stage' in e && e.stage ? slots.get(e.stage) : undefined;
    if (s && e.type === 'stage:started' && s.phase === 'waiting') {
      s.phase = 'running';
      return;
    }
    if (s && e.type === 'stage:finished') return settle(s, { kind: 'finished' });
    if (s && e.type === 'stage:failed') return settle(s, { kind: 'failed', error: e.error });
    if (e.type.startsWith('undo:') || e.type === 'deploy:finished') endForward();
    if (!fold(e)) print(e);
  });
  return {
    detach: off,
    done: async () => {
      endForward();
      await run;
    },
  };
}

async function startListr(names: string[], slots: Map<string, Slot>, out: Output, show: (s: Slot) => void): Promise<void> {
  const { Listr, ListrDefaultRendererLogLevels } = await import('listr2');
  const list = new Listr(
    names.map((name) => ({
      title: name,
      rendererOptions: { persistentOutput: true },
      task: async (_ctx: unknown, task: TaskOutput & { skip: (message?: string) => void }) => {
        const s = slots.get(name)!;
        s.task = task;
        show(s);
        const ending = await s.ended;
        s.task = null;
        if (ending.kind === 'skipped') task.skip(`${name} (not run)`);
        if (ending.kind === 'failed') throw new Error(ending.error);
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      // shipgate's own SIGINT handling cancels at a safe point and undoes; listr's would exit at once.
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false, color: listrColors(ListrDefaultRendererLogLevels, out) },
      renderer: 'default',
      fallbackRenderer: 'simple',
    },
  );
  await list.run().catch(() => undefined);
}
