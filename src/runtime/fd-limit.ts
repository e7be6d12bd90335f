import { readFileSync } from 'node:fs';

/** Pure: the soft "Max open files" of a /proc/<pid>/limits text; null when absent or unlimited. */
export function parseOpenFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  return m === null || m[1] === 'unlimited' ? null : Number(m[1]);
}

/** This process's limit on open files (Node raises the soft limit to the hard one at start), or null where it cannot be read (not Linux). */
export function openFileLimit(): number | null {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}
