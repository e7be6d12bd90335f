import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pause between two requests of a test's load loop. Back-to-back loops cost the
 * test, the router and the instances a whole core between them, and on a shared
 * 2-core machine that starves every other test; a few milliseconds still keeps
 * hundreds of requests a second (and connects) going through a kill or a switch.
 */
export const LOAD_GAP_MS = 5;

export const pace = (): Promise<void> => sleep(LOAD_GAP_MS);
