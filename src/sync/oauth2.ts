/**
 * OAuth2 client credentials (RFC 6749 section 4.4) against the token URL (seeds/001
 * "DataSyncTokenUrl"; SPEC 6). The grant goes form-encoded; the client authenticates with HTTP
 * basic first (section 2.3.1: the server must support it) and, if the token endpoint answers 401 to
 * that, with `client_id`/`client_secret` in the body; whichever worked is tried first from then on.
 * The token is cached until shortly before `expires_in` (SPEC 6: "cached until expiry"), one fetch
 * serves every caller waiting at the time, and `invalidate` drops a token the receiver refused so
 * the next call fetches a new one.
 *
 * The cache and the authentication that worked belong to the process, not to one token source: a
 * job run opens its destination, and so a new token source, each time, and a run every few seconds
 * asked for a new token each time. They are kept per token URL and client ID, for one version of
 * the credentials: a new secret, client ID or token URL fetches a new token.
 */
import { createHmac, randomBytes } from "node:crypto";
import { CusthubError } from "../domain/errors.js";
import type { HttpClient } from "./http/http-client.js";
import { describeUrl } from "./http/http-client.js";
import type { ClientCredentials } from "./secrets/credential-store.js";
import { redact, Secret } from "./secrets/secret.js";

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
  /** Where tokens are kept; default the process's (`processTokenCache`). */
  cache?: TokenCache;
}

type ClientAuthentication = "basic" | "body";

/** What the process keeps for one token URL and client ID. */
interface TokenSlot {
  /** Which credentials the token was issued to (a keyed hash of the secret, never the secret). */
  version: string;
  cached: { token: string; refreshAt: number } | null;
  fetching: Promise<string> | null;
  /** The client authentication the token endpoint took last; tried first next time. */
  authentication: ClientAuthentication;
}

/**
 * Tokens by token URL and client ID, with the credentials' version. The keys are keyed hashes
 * (the key lives in this process only), so neither the client ID nor the secret sits in a key.
 */
export class TokenCache {
  readonly #slots = new Map<string, TokenSlot>();
  readonly #hashKey = randomBytes(32);

  /** The slot of these credentials at this token URL; emptied when their version changed. */
  slot(tokenUrl: URL, credentials: ClientCredentials, now: number): TokenSlot {
    this.#dropExpired(now);
    const key = this.#hash(tokenUrl.href, credentials.clientId.reveal());
    const version = this.#hash(credentials.clientSecret.reveal());
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { version, cached: null, fetching: null, authentication: "basic" };
      this.#slots.set(key, slot);
    } else if (slot.version !== version) {
      // New credentials: the old token is not theirs. The endpoint's authentication stays known.
      Object.assign(slot, { version, cached: null, fetching: null });
    }
    return slot;
  }

  /** Expired tokens are not kept; a slot with nothing worth remembering goes. */
  #dropExpired(now: number): void {
    for (const [key, slot] of this.#slots) {
      if (slot.cached && now >= slot.cached.refreshAt) slot.cached = null;
      if (!slot.cached && !slot.fetching && slot.authentication === "basic")
        this.#slots.delete(key);
    }
  }

  #hash(...parts: string[]): string {
    return createHmac("sha256", this.#hashKey).update(parts.join("\n")).digest("base64url");
  }
}

/** The process's token cache: every data-sync destination opened in the process shares it. */
const processTokenCache = new TokenCache();

/** Used when the token endpoint gives no `expires_in` (RFC 6749 leaves it optional). */
const DEFAULT_LIFETIME_SECONDS = 300;
/** Refresh this long before expiry, at most; short-lived tokens get a tenth of their life. */
const MAX_EARLY_REFRESH_MS = 60_000;

export class ClientCredentialsTokenSource implements TokenSource {
  /** Token requests this source made (for status and tests). */
  requests = 0;

  constructor(private readonly options: ClientCredentialsOptions) {}

  async token(): Promise<string> {
    const now = this.#now();
    const slot = this.#slot(now);
    if (slot.cached && now < slot.cached.refreshAt) return slot.cached.token;
    if (!slot.fetching) {
      const fetching = this.#fetch(slot).finally(() => {
        if (slot.fetching === fetching) slot.fetching = null;
      });
      slot.fetching = fetching;
    }
    return slot.fetching;
  }

  invalidate(token: string): void {
    const slot = this.#slot(this.#now());
    if (slot.cached?.token === token) slot.cached = null;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  #slot(now: number): TokenSlot {
    const { cache = processTokenCache, tokenUrl, credentials } = this.options;
    return cache.slot(tokenUrl, credentials, now);
  }

  async #fetch(slot: TokenSlot): Promise<string> {
    const { version } = slot;
    const tried = slot.authentication;
    let answer = await this.#request(tried);
    if (answer.status === 401) {
      // The endpoint refused this client authentication: try the other (RFC 6749 section 2.3.1).
      const other = tried === "basic" ? "body" : "basic";
      const retry = await this.#request(other);
      if (retry.status === 200) slot.authentication = other;
      answer = retry;
    }
    const issuedAt = this.#now();
    const token = this.#parse(answer);
    const lifetimeMs = token.expiresInSeconds * 1000;
    // Credentials saved meanwhile have emptied the slot: this token is not theirs to keep.
    if (slot.version === version) {
      slot.cached = {
        token: token.accessToken,
        refreshAt: issuedAt + lifetimeMs - Math.min(MAX_EARLY_REFRESH_MS, lifetimeMs / 10),
      };
    }
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
      headers.authorization = `Basic ${basicCredentials(credentials).reveal()}`;
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

  /**
   * The text with the credentials blanked in every form the endpoint was sent them: a server that
   * repeats the request repeats the Basic header (base64) or the form (form-encoded), and a secret
   * with `+`, `/` or `=` reads otherwise there than as saved.
   */
  #safe(text: string): string {
    const { clientId, clientSecret } = this.options.credentials;
    const sent = (value: Secret): Secret[] => [
      new Secret(new URLSearchParams({ value: value.reveal() }).toString().slice("value=".length)),
      new Secret(encodeURIComponent(value.reveal())),
      value,
    ];
    return redact(text, [
      basicCredentials(this.options.credentials),
      ...sent(clientSecret),
      ...sent(clientId),
    ]);
  }
}

/** The client's HTTP basic credentials as sent: `id:secret`, each form-encoded, in base64. */
function basicCredentials({ clientId, clientSecret }: ClientCredentials): Secret {
  const user = encodeURIComponent(clientId.reveal());
  const password = encodeURIComponent(clientSecret.reveal());
  return new Secret(Buffer.from(`${user}:${password}`).toString("base64"));
}
