/**
 * When a failed message is tried again: exponential backoff with jitter. The delay doubles with
 * each failure up to a ceiling, and is drawn from the upper half of that span ("equal jitter"),
 * so messages that failed together (a receiver outage) do not all come back at the same instant.
 */
export interface RetryPolicy {
  /** The delay after the first failure (before jitter). */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

/**
 * @example
 * retryDelayMs(3, { baseMs: 10_000, maxMs: 1_800_000 }, () => 0.5) // => 30_000 (span 40 s)
 */
export function retryDelayMs(
  failedAttempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 40));
  const span = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(span / 2 + random() * (span / 2));
}
