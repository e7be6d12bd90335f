import type { ListrDefaultRendererLogLevels } from 'listr2';
import type { Hue, Output } from '../output.js';

/**
 * listr2 colors its icons through colorette, which decides once, at import, from
 * its own reading of the environment (an empty NO_COLOR turns it off, FORCE_COLOR=0
 * turns it on). The live view passes this map instead, so listr's icons follow
 * the one decision of {@link Output.color}. Hues as listr's defaults, bright ones plain.
 */
export function listrColors(levels: typeof ListrDefaultRendererLogLevels, out: Output): Record<ListrDefaultRendererLogLevels, (text?: string) => string> {
  const hues: Record<ListrDefaultRendererLogLevels, Hue | null> = {
    [levels.SKIPPED_WITH_COLLAPSE]: 'yellow',
    [levels.SKIPPED_WITHOUT_COLLAPSE]: 'yellow',
    [levels.OUTPUT]: null,
    [levels.OUTPUT_WITH_BOTTOMBAR]: null,
    [levels.PENDING]: 'yellow',
    [levels.COMPLETED]: 'green',
    [levels.COMPLETED_WITH_FAILED_SUBTASKS]: 'yellow',
    [levels.COMPLETED_WITH_FAILED_SISTER_TASKS]: 'red',
    [levels.RETRY]: 'yellow',
    [levels.ROLLING_BACK]: 'red',
    [levels.ROLLED_BACK]: 'red',
    [levels.FAILED]: 'red',
    [levels.FAILED_WITH_FAILED_SUBTASKS]: 'red',
    [levels.WAITING]: 'dim',
    [levels.PAUSED]: 'yellow',
  };
  const paint = (hue: Hue | null) => (text = ''): string => (hue ? out.paint(hue, text) : text);
  return Object.fromEntries(Object.entries(hues).map(([level, hue]) => [level, paint(hue)])) as Record<ListrDefaultRendererLogLevels, (text?: string) => string>;
}
