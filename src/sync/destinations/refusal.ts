/**
 * What a connector makes of a far side that did not take a change (docs/connectors.md, "Shared
 * rules"), the same for each. A 400 or 422 says the message itself is wrong: the same body would
 * be refused however often it is sent, and retrying it for an hour would hold back the customer's
 * later changes, so it is `rejected`, dead-lettered at once with the answer; a later change of the
 * customer sends a new body. Every other answer may pass later and is `failed`, retried with
 * backoff: 401 (credentials being fixed), 404, 408, 409, 429, 5xx, and no answer at all.
 *
 * The data-sync endpoint keeps its own rule: seeds/001 retries every answer but 200 (SPEC 6).
 *
 * @example
 * refusedDelivery(400, "HTTP 400: email is not an email address") // { kind: "rejected", ... }
 * refusedDelivery(429, "HTTP 429") // { kind: "failed", status: 429, ... }
 */
import type { DeliveryResult } from "../destination.js";

/** The statuses no retry can change: the request is malformed or its content refused. */
const REFUSED_FOR_GOOD = new Set([400, 422]);

/**
 * `status` null: no HTTP answer (refused, dropped, timed out). `retryAfterMs`: the wait a 429's or
 * 503's Retry-After asks for (`retryAfterMs` in ../backoff.ts), the least before the next attempt.
 */
export function refusedDelivery(
  status: number | null,
  error: string,
  retryAfterMs: number | null = null,
): DeliveryResult {
  return status !== null && REFUSED_FOR_GOOD.has(status)
    ? { kind: "rejected", status, error }
    : { kind: "failed", status, error, retryAfterMs };
}

/**
 * `text` with each whole occurrence of `value` (as given, and percent-encoded as in a URL path)
 * replaced by `name`: a key's value never reaches an error text (SPEC 9), and a short value (`40`)
 * leaves the rest of the text alone (`HTTP 400` stays), for only a value standing on its own,
 * not inside a longer run of letters and digits, is replaced.
 */
export function withoutValue(text: string, value: string, name: string): string {
  let result = text;
  for (const form of new Set([value, encodeURIComponent(value)])) {
    if (form === "") continue;
    const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    result = result.replace(
      new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "gu"),
      () => name,
    );
  }
  return result;
}

/**
 * `text` without a customer code that is an alternate key's value (of type `keyType`): such a
 * value may be personal data (an email), so the error names the key's type instead
 * (`[EMAIL key]`). A code that is the customerID (`keyType` null) stays.
 */
export function withoutCustomerCode(text: string, code: string, keyType: string | null): string {
  return keyType === null ? text : withoutValue(text, code, `[${keyType} key]`);
}
