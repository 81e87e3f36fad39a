/**
 * The one place the sync job makes HTTP requests: an undici keep-alive pool per origin, connect
 * and response timeouts on every request, TLS certificates verified (undici's default, never
 * turned off here; a private CA goes in NODE_EXTRA_CA_CERTS). Answers are read up to a limit, so a
 * receiver cannot fill memory; transport failures become `DELIVERY_FAILED` naming the URL without
 * its query.
 */
import type { Pool } from "undici";
import { CusthubError, toError } from "../../domain/errors.js";

export interface HttpClientOptions {
  /** Connections per origin: as many as requests in flight. */
  connections: number;
  connectTimeoutMs: number;
  /** Time allowed for the answer's headers, and then for each pause in its body. */
  responseTimeoutMs: number;
  /** Bytes of an answer's body kept (the rest is discarded). */
  maxBodyBytes?: number;
}

export interface HttpAnswer {
  status: number;
  body: string;
  /**
   * The `Retry-After` header of an answer other than 200, as sent (delay seconds or an HTTP date;
   * `retryAfterMs` in ../backoff.ts reads it); absent when there was none.
   */
  retryAfter?: string;
}

const DEFAULT_MAX_BODY = 64 * 1024;

/** undici, loaded the first time a request goes out: a CLI command that sends none never pays. */
let undiciPool: Promise<typeof Pool> | undefined;
const loadPool = (): Promise<typeof Pool> =>
  (undiciPool ??= import("undici").then((undici) => undici.Pool));

export class HttpClient {
  readonly #pools = new Map<string, Pool>();

  constructor(private readonly options: HttpClientOptions) {}

  /**
   * POSTs `body`. Uses undici's dispatch with a handler that keeps the status and the first bytes
   * of the answer: no stream per response, which matters at thousands of requests a second.
   */
  post(url: URL, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    return this.request("POST", url, headers, body);
  }

  /** Any method, the same way as `post`; `body` null for none. */
  async request(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: URL,
    headers: Record<string, string>,
    body: string | null,
  ): Promise<HttpAnswer> {
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const pool = this.#pools.get(url.origin) ?? (await this.#newPool(url.origin));
    return new Promise((resolve, reject) => {
      let status = 0;
      let retryAfter: string | undefined;
      let size = 0;
      const chunks: Buffer[] = [];
      pool.dispatch(
        {
          method,
          path: `${url.pathname}${url.search}`,
          headers,
          body,
          headersTimeout: this.options.responseTimeoutMs,
          bodyTimeout: this.options.responseTimeoutMs,
        },
        {
          onConnect: () => undefined,
          onHeaders: (statusCode, rawHeaders) => {
            // 1xx answers come first and are not the answer.
            if (statusCode >= 200) status = statusCode;
            // Only a refusal's headers are read: a 200, the common case, costs nothing more.
            if (statusCode > 200) retryAfter = headerValue(rawHeaders, "retry-after");
            return true;
          },
          onData: (chunk) => {
            if (size < limit) {
              chunks.push(chunk.subarray(0, limit - size));
              size += Math.min(chunk.length, limit - size);
            }
            return true;
          },
          onComplete: () => {
            const answer: HttpAnswer = { status, body: Buffer.concat(chunks).toString("utf8") };
            if (retryAfter !== undefined) answer.retryAfter = retryAfter;
            resolve(answer);
          },
          onError: (error) =>
            reject(
              new CusthubError(
                "DELIVERY_FAILED",
                `${method} ${describeUrl(url)} failed: ${describeTransportError(error)}.`,
                { url: describeUrl(url), reason: transportErrorCode(error) },
                { cause: error },
              ),
            ),
        },
      );
    });
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    // destroy, not close: a hung receiver must not keep shutdown waiting.
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }

  async #newPool(origin: string): Promise<Pool> {
    const PoolClass = await loadPool();
    // Another request may have made it while undici loaded.
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new PoolClass(origin, {
        connections: this.options.connections,
        connectTimeout: this.options.connectTimeoutMs,
        headersTimeout: this.options.responseTimeoutMs,
        bodyTimeout: this.options.responseTimeoutMs,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }
}

/** A header's value from undici's raw name/value list; `name` in lower case. */
function headerValue(rawHeaders: readonly Buffer[], name: string): string | undefined {
  for (let at = 0; at + 1 < rawHeaders.length; at += 2) {
    if (rawHeaders[at]!.toString("latin1").toLowerCase() === name) {
      return rawHeaders[at + 1]!.toString("latin1").trim();
    }
  }
  return undefined;
}

/** The URL for messages and logs: no query string, no user info. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function transportErrorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "UNKNOWN";
}

/** undici's error codes (`errors.*Error.code`), read as codes so undici can load lazily. */
const UNDICI_ERRORS: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: "no connection within the timeout",
  UND_ERR_HEADERS_TIMEOUT: "no answer within the timeout",
  UND_ERR_BODY_TIMEOUT: "the answer stalled past the timeout",
  UND_ERR_SOCKET: "the connection was closed before an answer",
};

function describeTransportError(error: unknown): string {
  const code = transportErrorCode(error);
  const known = UNDICI_ERRORS[code];
  if (known !== undefined) return known;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "the connection was reset";
  return toError(error).message;
}
