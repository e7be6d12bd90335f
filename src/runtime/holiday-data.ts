import { createRequire } from 'node:module';
import type HolidaysType from 'date-holidays';

/**
 * date-holidays, loaded on first use: its data costs ~100 ms to load, which
 * only configs with `holidays` should pay. Loaded through `require` in one place
 * so the config rules and the window gate share one copy.
 */
let loaded: typeof HolidaysType | undefined;

export function holidaysClass(): typeof HolidaysType {
  loaded ??= createRequire(import.meta.url)('date-holidays') as typeof HolidaysType;
  return loaded;
}
