/**
 * OAuth2 client credentials (RFC 6749 section 4.4) against the token URL (seeds/001
 * "DataSyncTokenUrl"; SPEC 6). The grant goes form-encoded; the client authenticates with HTTP
 * basic first (section 2.3.1: the server must support it) and, if the token endpoint answers 401 to
 * that, with `client_id`/`client_secret` in the body; whichever worked is used from then on. The
 * token is cached until shortly before `expires_in`, one fetch serves every caller waiting at the
 * time, and `invalidate` drops a token the receiver refused so the next call fetches a new one.
 */
import { CusthubError } from "../domain/errors.js";
import type { HttpClient } from "./http/http-client.js";
import { describeUrl } from "./http/http-client.js";
import type { ClientCredentials } from "./secrets/credential-store.js";
import { redact } from "./secrets/secret.js";

/** A token source for requests that need a bearer token. */
export interface TokenSource {
  token(): Promise<string>;
  /** Forget `token` (refused by the receiver); a newer cached token is kept. */
  invalidate(token: string): void;
}

export interface ClientCredentialsOptions {
  tokenUrl: URL;
  credentials: ClientCredentials;
  http: HttpClient;
  /** The clock (tests move it); default `Date.now`. */
  now?: () => number;
}

type ClientAuthentication = "basic" | "body";

/** Used when the token endpoint gives no `expires_in` (RFC 6749 leaves it optional). */
const DEFAULT_LIFETIME_SECONDS = 300;
/** Refresh this long before expiry, at most; short-lived tokens get a tenth of their life. */
const MAX_EARLY_REFRESH_MS = 60_000;

export class ClientCredentialsTokenSource implements TokenSource {
  #cached: { token: string; refreshAt: number } | null = null;
  #fetching: Promise<string> | null = null;
  #authentication: ClientAuthentication = "basic";
  /** Token requests made so far (for status and tests). */
  requests = 0;

  constructor(private readonly options: ClientCredentialsOptions) {}

  async token(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.#cached && now < this.#cached.refreshAt) return this.#cached.token;
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = null;
    });
    return this.#fetching;
  }

  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = null;
  }

  async #fetch(): Promise<string> {
    let answer = await this.#request(this.#authentication);
    if (answer.status === 401 && this.#authentication === "basic") {
      // The endpoint refused basic authentication: try the body form (RFC 6749 section 2.3.1).
      const retry = await this.#request("body");
      if (retry.status === 200) this.#authentication = "body";
      answer = retry;
    }
    const issuedAt = (this.options.now ?? Date.now)();
    const token = this.#parse(answer);
    const lifetimeMs = token.expiresInSeconds * 1000;
    this.#cached = {
      token: token.accessToken,
      refreshAt: issuedAt + lifetimeMs - Math.min(MAX_EARLY_REFRESH_MS, lifetimeMs / 10),
    };
    return token.accessToken;
  }

  async #request(authentication: ClientAuthentication): Promise<{ status: number; body: string }> {
    const { credentials, tokenUrl, http } = this.options;
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (authentication === "basic") {
      const user = encodeURIComponent(credentials.clientId.reveal());
      const password = encodeURIComponent(credentials.clientSecret.reveal());
      headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    } else {
      form.set("client_id", credentials.clientId.reveal());
      form.set("client_secret", credentials.clientSecret.reveal());
    }
    this.requests += 1;
    try {
      return await http.post(tokenUrl, headers, form.toString());
    } catch (error) {
      throw new CusthubError(
        "TOKEN_REQUEST_FAILED",
        `The token endpoint ${describeUrl(tokenUrl)} could not be reached: ${this.#safe(
          (error as Error).message,
        )}`,
        { tokenUrl: describeUrl(tokenUrl) },
        { cause: error },
      );
    }
  }

  #parse(answer: { status: number; body: string }): {
    accessToken: string;
    expiresInSeconds: number;
  } {
    const tokenUrl = describeUrl(this.options.tokenUrl);
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(answer.body);
      if (typeof value === "object" && value !== null) parsed = value as Record<string, unknown>;
    } catch {
      // Not JSON: reported below by status, without the body.
    }
    if (answer.status !== 200 || typeof parsed.access_token !== "string") {
      // Only the RFC's error fields are kept, and any echo of the credentials is blanked.
      const reason = [parsed.error, parsed.error_description]
        .filter((part) => typeof part === "string")
        .join(": ");
      throw new CusthubError(
        "TOKEN_REQUEST_FAILED",
        `The token endpoint ${tokenUrl} answered ${answer.status}${
          reason ? ` (${this.#safe(reason).slice(0, 200)})` : ""
        }${answer.status === 200 ? " without an access_token" : ""}.`,
        { tokenUrl, status: answer.status },
      );
    }
    const type = typeof parsed.token_type === "string" ? parsed.token_type : "Bearer";
    if (type.toLowerCase() !== "bearer") {
      throw new CusthubError(
        "TOKEN_REQUEST_FAILED",
        `The token endpoint ${tokenUrl} issued a ${type} token; the data-sync API takes bearer tokens.`,
        { tokenUrl, tokenType: type },
      );
    }
    const expiresIn = Number(parsed.expires_in ?? DEFAULT_LIFETIME_SECONDS);
    return {
      accessToken: parsed.access_token,
      expiresInSeconds:
        Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_SECONDS,
    };
  }

  #safe(text: string): string {
    return redact(text, [this.options.credentials.clientId, this.options.credentials.clientSecret]);
  }
}
