/**
 * The NewBase API as docs/connectors.md defines it (seeds/002 names the tables and columns, not
 * the wire): `POST {baseUrl}{table}/query` with `{filter, fields}` answers `{rows}`, and
 * `POST {baseUrl}{table}/update` with `{id, values}` answers `{updated}`; HTTP Basic
 * authentication. Every call answers a `NewbaseOutcome`: the transport's failures and the
 * server's refusals are values, so the destination decides what each means.
 */
import { isCusthubError } from "../../../domain/errors.js";
import { retryAfterMs } from "../../backoff.js";
import type { HttpClient } from "../../http/http-client.js";
import { redact, Secret } from "../../secrets/secret.js";
import type { ColumnValues, NewbaseTable } from "./mapping.js";

export type Row = Readonly<Record<string, unknown>>;

export type NewbaseOutcome<T> =
  | { ok: true; value: T }
  /**
   * status null: no HTTP answer (refused, dropped, timed out). `retryAfterMs`: the wait a 429's
   * or 503's Retry-After asks for (`retryAfterMs` in ../../backoff.ts), when it sent one.
   */
  | { ok: false; status: number | null; error: string; retryAfterMs?: number | null };

/**
 * What else a call keeps out of its error besides the credentials (the serial when it is an
 * alternate key's value), applied before the answer is cut: a cut inside a value keeps its start.
 */
export type Hide = (text: string) => string;

const hideNothing: Hide = (text) => text;

export interface NewbaseCredentials {
  username: Secret;
  password: Secret;
}

/** How much of a refusing server's answer is kept in the error (it may be large). */
const ERROR_BODY_CHARS = 300;

export class NewbaseClient {
  /** The Basic credentials as sent (base64): a secret too, kept out of any error. */
  readonly #basic: Secret;

  constructor(
    private readonly baseUrl: URL,
    private readonly credentials: NewbaseCredentials,
    private readonly http: HttpClient,
  ) {
    const pair = `${credentials.username.reveal()}:${credentials.password.reveal()}`;
    this.#basic = new Secret(Buffer.from(pair, "utf8").toString("base64"));
  }

  /** The rows of `table` whose columns equal `filter`, with the `fields` asked for. */
  async query(
    table: NewbaseTable,
    filter: Record<string, string | number>,
    fields: readonly string[],
    hide: Hide = hideNothing,
  ): Promise<NewbaseOutcome<Row[]>> {
    const answer = await this.#post(`${table}/query`, { filter, fields }, hide);
    if (!answer.ok) return answer;
    const rows = (answer.value as { rows?: unknown }).rows;
    if (!Array.isArray(rows) || rows.some((row) => typeof row !== "object" || row === null)) {
      return malformed(`${table} query`, "no rows array");
    }
    return { ok: true, value: rows as Row[] };
  }

  /** Writes `values` to the `table` record whose key is `id`. */
  async update(
    table: NewbaseTable,
    id: number,
    values: ColumnValues,
    hide: Hide = hideNothing,
  ): Promise<NewbaseOutcome<number>> {
    const answer = await this.#post(`${table}/update`, { id, values }, hide);
    if (!answer.ok) return answer;
    const updated = (answer.value as { updated?: unknown }).updated;
    if (typeof updated !== "number") return malformed(`${table} update`, "no updated count");
    return { ok: true, value: updated };
  }

  async #post(path: string, body: unknown, hide: Hide): Promise<NewbaseOutcome<object>> {
    const url = new URL(path, this.baseUrl);
    const what = path.replace("/", " ");
    let answer;
    try {
      answer = await this.http.post(
        url,
        {
          "content-type": "application/json",
          accept: "application/json",
          authorization: `Basic ${this.#basic.reveal()}`,
        },
        JSON.stringify(body),
      );
    } catch (error) {
      if (isCusthubError(error) && error.code === "DELIVERY_FAILED") {
        return { ok: false, status: null, error: `NewBase ${what}: ${hide(error.message)}` };
      }
      throw error;
    }
    if (answer.status !== 200) {
      // Redacted before it is cut: a cut inside a secret would keep its first characters.
      const excerpt = hide(this.#redact(answer.body.trim())).slice(0, ERROR_BODY_CHARS);
      return {
        ok: false,
        status: answer.status,
        error: `NewBase ${what}: HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ""}`,
        retryAfterMs: retryAfterMs(answer),
      };
    }
    try {
      const parsed: unknown = JSON.parse(answer.body);
      if (typeof parsed === "object" && parsed !== null) return { ok: true, value: parsed };
    } catch {
      // Falls through to the malformed answer below.
    }
    return malformed(what, "the answer is not a JSON object");
  }

  /** A server may echo what it was sent; the password (and the Basic header) never leave here. */
  #redact(text: string): string {
    return redact(text, [this.credentials.password, this.#basic]);
  }
}

function malformed(what: string, problem: string): NewbaseOutcome<never> {
  return { ok: false, status: 200, error: `NewBase ${what}: malformed answer (${problem})` };
}
