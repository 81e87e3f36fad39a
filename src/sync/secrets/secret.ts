/**
 * A secret value that does not leak by accident: `String()`, `JSON.stringify`, template strings
 * and `console.log`/pino all show `[redacted]`. Only `reveal()` gives the value, at the one place
 * that sends it.
 */
import { inspect } from "node:util";

export const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Replaces every occurrence of the secrets' values in `text` (for errors echoed by a server). */
export function redact(text: string, secrets: readonly Secret[]): string {
  let result = text;
  for (const secret of secrets) {
    const value = secret.reveal();
    if (value.length > 0) result = result.split(value).join(REDACTED);
  }
  return result;
}
