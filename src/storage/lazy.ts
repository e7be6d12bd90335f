import type { Readable } from 'node:stream';
import type { BackupStorage } from './contract.js';

/** A storage whose backend (and the modules it needs) is loaded on its first use; `location` is known before. */
export function lazyStorage(type: string, location: (key: string) => string, load: () => Promise<BackupStorage>): BackupStorage {
  let loading: Promise<BackupStorage> | null = null;
  const backend = (): Promise<BackupStorage> => (loading ??= load());
  return {
    type,
    location,
    put: async (key: string, body: Readable, signal?: AbortSignal) => (await backend()).put(key, body, signal),
    get: async (key: string, signal?: AbortSignal) => (await backend()).get(key, signal),
    stat: async (key: string) => (await backend()).stat(key),
    list: async (prefix?: string) => (await backend()).list(prefix),
    delete: async (key: string) => (await backend()).delete(key),
  };
}
