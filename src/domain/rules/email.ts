import type { CheckedValue } from "./checked-value.js";

/** Characters no part of an address may hold; `#` left in the domain means a botched `#`-for-`@`. */
const FORBIDDEN_IN_LOCAL_PART = /[\s@]/u;
const FORBIDDEN_IN_DOMAIN = /[\s@#]/u;

/**
 * Repairs and checks an email address (seeds/003 "Customer Validation" › "Email Address", SPEC 3):
 * with no `@`, the first `#` becomes `@`; the result is valid when it has the shape
 * `local@sub-domain.domain` — a non-empty local part, then a domain of two or more non-empty
 * dot-separated labels, with no whitespace, `@` (nor, in the domain, `#`) anywhere.
 *
 * @example
 * normalizeEmail("pnewman2#example.com"); // { value: "pnewman2@example.com", valid: true }
 * normalizeEmail("a#b#c.com");            // { value: "a@b#c.com", valid: false }
 * normalizeEmail("user@localhost");       // { value: "user@localhost", valid: false }
 */
export function normalizeEmail(raw: string): CheckedValue {
  const trimmed = raw.trim();
  const value = trimmed.includes("@") ? trimmed : trimmed.replace("#", "@");
  return { value, valid: hasAddressShape(value) };
}

function hasAddressShape(value: string): boolean {
  const at = value.indexOf("@");
  if (at <= 0) return false;
  const localPart = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (FORBIDDEN_IN_LOCAL_PART.test(localPart) || FORBIDDEN_IN_DOMAIN.test(domain)) return false;
  const labels = domain.split(".");
  return labels.length >= 2 && labels.every((label) => label !== "");
}
