import type { GateName } from '../config/schema/index.js';
import type { GateResult, GateResultKind } from './contract.js';

/** Builds a {@link GateResult} with the reason and every string in the details passed through `mask`. */
export function gateResult(
  name: GateName,
  result: GateResultKind,
  reason: string,
  mask: (text: string) => string,
  details?: Record<string, unknown>,
): GateResult {
  return details === undefined ? { name, result, reason: mask(reason) } : { name, result, reason: mask(reason), details: maskDeep(details, mask) };
}

function maskDeep<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, mask)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, mask);
    return out as T;
  }
  return value;
}
