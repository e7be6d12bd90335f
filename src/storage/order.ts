import type { StoredObject } from './contract.js';

/** `list` order of every backend: oldest first, and by key among objects of the same time (S3 times are whole seconds). */
export function oldestFirst(a: StoredObject, b: StoredObject): number {
  if (a.modifiedAt !== b.modifiedAt) return a.modifiedAt < b.modifiedAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
