/** Conversions between row fields and column values, identical in both dialects. */
import type { SqlParam } from './driver.js';

/** JSON columns are TEXT in both dialects (jsonb would reorder keys and come back parsed). */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(column: unknown): T {
  return JSON.parse(String(column)) as T;
}

/** BIGINT / BIGSERIAL / COUNT(*) arrive from pg as strings. */
export function toNumber(column: unknown): number {
  return typeof column === 'number' ? column : Number(column);
}

export function nullable(value: string | null | undefined): SqlParam {
  return value ?? null;
}

/** `?, ?, ?` for `n` parameters. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
