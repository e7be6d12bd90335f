import { environmentOverlay } from '../config/environments.js';
import { deepMerge } from '../config/merge.js';

/**
 * Pure: the config document with one more environment, `name`: the `base` environment's overlay
 * with `extra` laid over it (the preview's own app or port). The preview is then loaded and
 * validated like any environment, so every rule of the config holds for it too.
 */
export function previewDocument(doc: Record<string, unknown>, base: string, name: string, extra: Record<string, unknown>): Record<string, unknown> {
  const { overlay } = environmentOverlay(doc, base);
  const envs = (doc.environments ?? {}) as Record<string, unknown>;
  const merged = deepMerge(overlay, extra).value as Record<string, unknown>;
  return { ...doc, environments: { ...envs, [name]: merged } };
}
