/**
 * SocialHub's "Update Customer Information" as docs/connectors.md defines it: `PUT
 * {baseUrl}v1/consumer/updateInfo/{customerCode}` with the JSON body of mapping.ts and the API key
 * in `Authorization`; the answer is `{code, msg, data}` and the update took only when HTTP 200
 * carries `code` "200" (SocialHub reports refusals in `code` too: seeds/004 "If the API returns
 * an error, inspect the error message").
 */
import { isCusthubError } from "../../../domain/errors.js";
import { retryAfterMs } from "../../backoff.js";
import type { HttpClient } from "../../http/http-client.js";
import { redact, type Secret } from "../../secrets/secret.js";
import type { SocialhubMessage } from "./mapping.js";
import { withoutCustomerCode } from "../refusal.js";

export type SocialhubOutcome =
  | { ok: true; status: number }
  /**
   * status null: no HTTP answer (refused, dropped, timed out). `retryAfterMs`: the wait a 429's
   * or 503's Retry-After asks for (`retryAfterMs` in ../../backoff.ts), when it sent one.
   */
  | { ok: false; status: number | null; error: string; retryAfterMs?: number | null };

/** How much of a refusing server's answer is kept in the error (it may be large). */
const ERROR_BODY_CHARS = 300;

export class SocialhubClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly apiKey: Secret,
    private readonly http: HttpClient,
    /**
     * The alternate key type whose id is the Customer Code (null: the customerID). Its value may
     * be personal data (an email), and errors reach logs and run results (SPEC 9): they name the
     * key's type instead, though the code travels in the path and SocialHub may echo it.
     */
    private readonly customerCodeKeyType: string | null,
  ) {}

  async updateCustomer(message: SocialhubMessage): Promise<SocialhubOutcome> {
    const url = new URL(
      `v1/consumer/updateInfo/${encodeURIComponent(message.customerCode)}`,
      this.baseUrl,
    );
    let answer;
    try {
      answer = await this.http.request(
        "PUT",
        url,
        {
          "content-type": "application/json",
          accept: "application/json",
          authorization: this.apiKey.reveal(),
        },
        JSON.stringify(message.body),
      );
    } catch (error) {
      if (isCusthubError(error) && error.code === "DELIVERY_FAILED") {
        const text = this.#redact(error.message, message.customerCode);
        return { ok: false, status: null, error: `SocialHub update: ${text}` };
      }
      throw error;
    }
    const code = answerCode(answer.body);
    if (answer.status === 200 && code === "200") return { ok: true, status: 200 };
    const excerpt = this.#redact(answer.body.trim(), message.customerCode).slice(
      0,
      ERROR_BODY_CHARS,
    );
    // A refusal inside an HTTP 200 carries its status as the code.
    const status =
      answer.status === 200 && code !== null && /^\d{3}$/.test(code) ? Number(code) : answer.status;
    // An HTTP 200 whose answer has no code says nothing of the update: say so, not just "HTTP 200".
    const what =
      answer.status === 200 && code === null
        ? 'malformed answer (HTTP 200 without a "code")'
        : `HTTP ${answer.status}`;
    return {
      ok: false,
      status,
      error: `SocialHub update: ${what}${excerpt ? `: ${excerpt}` : ""}`,
      retryAfterMs: retryAfterMs(answer),
    };
  }

  /** The API key, and a Customer Code that is an alternate key's value, out of an error text. */
  #redact(text: string, customerCode: string): string {
    return withoutCustomerCode(redact(text, [this.apiKey]), customerCode, this.customerCodeKeyType);
  }
}

/** The answer's `code`, as text; null when the body has none. */
function answerCode(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { code?: unknown } | null;
    const code = parsed?.code;
    return typeof code === "string" || typeof code === "number" ? String(code) : null;
  } catch {
    return null;
  }
}
