import { Cancelled } from '../errors.js';
import { abortReason } from '../runtime/clock.js';
import { HttpError } from '../runtime/http.js';

/**
 * Gates return `block` for ordinary failures; only cancellation propagates.
 * True when `err` means the run was cancelled (so the caller must rethrow).
 */
export function isCancellation(err: unknown, signal?: AbortSignal): boolean {
  return err instanceof Cancelled || Boolean(signal?.aborted) || (err instanceof HttpError && err.kind === 'aborted');
}

/** The error to propagate for a cancellation: the signal's abort reason when it has aborted. */
export function cancellationError(err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return abortReason(signal);
  return err instanceof Cancelled ? err : new Cancelled();
}

/** Throws the abort reason when `signal` has aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal);
}
