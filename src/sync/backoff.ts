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

/** Answers whose Retry-After asks the client to wait: 429 (RFC 6585 section 4), 503 (RFC 9110 10.2.3). */
const WAIT_STATUSES = new Set([429, 503]);

/**
 * The longest wait a receiver's Retry-After imposes on a message: an hour, twice the longest
 * backoff and a run's longest life. A receiver asking for more (a date far ahead, a wrong clock)
 * is asked again after that, rather than the message waiting on it for days.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * How long a 429 or 503 answer asks the client to wait, from its `Retry-After`: delay seconds or
 * an HTTP date (RFC 9110 section 10.2.3). Null for another status, no header, or one that is
 * neither; a date already past gives 0.
 *
 * @example
 * retryAfterMs({ status: 429, retryAfter: "120" }) // => 120_000
 * retryAfterMs({ status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }, Date.parse("2015-10-21T07:27:00Z")) // => 60_000
 */
export function retryAfterMs(
  answer: { status: number; retryAfter?: string | undefined },
  now: number = Date.now(),
): number | null {
  const value = answer.retryAfter;
  if (!WAIT_STATUSES.has(answer.status) || value === undefined) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its zone (GMT); a bare number or word is not one.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A failed message's retry delay made at least what the receiver asked, up to the bound. */
export function honourRetryAfter(delayMs: number, askedMs: number | null | undefined): number {
  if (askedMs === null || askedMs === undefined) return delayMs;
  return Math.max(delayMs, Math.min(askedMs, MAX_RETRY_AFTER_MS));
}
