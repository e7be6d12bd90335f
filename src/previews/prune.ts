import type { PreviewRecord } from './records.js';

/** Pure: the previews last brought up more than `olderThanMs` before `now` (a preview updated on each push stays). */
export function stalePreviews(records: readonly PreviewRecord[], now: number, olderThanMs: number): PreviewRecord[] {
  return records.filter((r) => {
    const at = Date.parse(r.updatedAt);
    // A record whose time cannot be read is stale: better removed than kept forever.
    return Number.isNaN(at) || now - at > olderThanMs;
  });
}
