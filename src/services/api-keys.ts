/**
 * API keys (SPEC 5, 10): random, shown once, stored hashed, carrying roles.
 *
 * A key reads `chk_<keyId>_<secret>`. The key id is not secret: it finds the stored row in one
 * look-up, and `apikeys list` and `revoke` name keys by it. The secret is 32 random bytes; only
 * its SHA-256 is stored, compared in constant time, so neither a copy of the database nor the
 * timing of a refusal gives a working key. A fast hash is enough here because the secret is
 * random and long, not a password someone chose.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { CusthubError } from "../domain/errors.js";
import { isRole, parseRoles, type Actor, type Role } from "../domain/roles.js";
import {
  insertApiKey,
  listApiKeys,
  readApiKey,
  revokeApiKey,
  type StoredApiKey,
} from "../store/api-keys.js";
import type { Database } from "../store/database.js";

/** A stored key as `list` shows it: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  roles: Role[];
  createdAt: string;
  revokedAt: string | null;
}

/** A key just made: its description and, this once, the key itself. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

const PREFIX = "chk_";
const KEY_PATTERN = /^chk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[\p{L}\p{N} ._@-]{1,100}$/u;

const hashSecret = (secret: string): Buffer => createHash("sha256").update(secret).digest();

const describeKey = (stored: StoredApiKey): ApiKeyInfo => ({
  id: stored.keyId,
  name: stored.name,
  roles: stored.roles.filter(isRole),
  createdAt: stored.createdAt,
  revokedAt: stored.revokedAt,
});

const unauthorized = (): CusthubError =>
  // One message for every refusal: which part of a key was wrong is not told to the caller.
  new CusthubError("UNAUTHORIZED", "A valid API key is needed: Authorization: Bearer <key>.");

/**
 * How long a key read from the database is trusted without reading it again. A revoke made by
 * this process applies at once; one made by another process (on a shared PostgreSQL server)
 * applies within this time. It spares every request its own key look-up.
 */
export const API_KEY_CACHE_MS = 5_000;
const API_KEY_CACHE_SIZE = 1_000;

export class ApiKeyService {
  /** keyId -> the stored key (null: none), the actor it stands for, and when it was read. */
  readonly #cache = new Map<string, CachedKey>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Makes a key. The only way to make one is this service, reached from the CLI on the machine
   * (`custhub apikeys create`), so the first key cannot come from the network (issue 6).
   *
   * @example
   * const { key } = await hub.apiKeys.create({ name: "pos-gateway", roles: "operator" });
   */
  async create(input: { name: string; roles: string | readonly string[] }): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (!NAME_PATTERN.test(name)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        "A key name is 1-100 letters, digits, spaces or . _ @ -.",
        { field: "name" },
      );
    }
    const roles = parseRoles(typeof input.roles === "string" ? input.roles : input.roles.join(","));
    const keyId = randomBytes(8).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const stored = await insertApiKey(this.db, {
      keyId,
      name,
      roles,
      secretHash: hashSecret(secret),
    });
    return { ...describeKey(stored), key: `${PREFIX}${keyId}_${secret}` };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await listApiKeys(this.db)).map(describeKey);
  }

  async revoke(id: string): Promise<ApiKeyInfo> {
    const revoked = await revokeApiKey(this.db, id.trim());
    this.#cache.delete(id.trim());
    if (!revoked) {
      throw new CusthubError("API_KEY_NOT_FOUND", `No API key with id ${id}.`, { id });
    }
    return describeKey(revoked);
  }

  /** The actor a presented key stands for; `UNAUTHORIZED` for a malformed, unknown or revoked key. */
  async authenticate(presented: string): Promise<Actor> {
    const [keyId, secret] = parsePresented(presented);
    return verify(this.#fresh(keyId) ?? (await this.#read(keyId)), secret);
  }

  /**
   * `authenticate` without waiting, when the key was read within the cache time; undefined when
   * it must be read first. The API's hook takes this path for nearly every request.
   */
  authenticateCached(presented: string): Actor | undefined {
    const [keyId, secret] = parsePresented(presented);
    const cached = this.#fresh(keyId);
    return cached && verify(cached, secret);
  }

  #fresh(keyId: string): CachedKey | undefined {
    const cached = this.#cache.get(keyId);
    return cached && this.now() - cached.readAt < API_KEY_CACHE_MS ? cached : undefined;
  }

  async #read(keyId: string): Promise<CachedKey> {
    const stored = await readApiKey(this.db, keyId);
    const cached: CachedKey = {
      stored,
      actor: stored && {
        name: `api key ${stored.name} (${stored.keyId})`,
        roles: describeKey(stored).roles,
      },
      readAt: this.now(),
    };
    // Unknown ids are cached too (a client retrying a wrong key), within a bounded size.
    if (this.#cache.size >= API_KEY_CACHE_SIZE) this.#cache.clear();
    this.#cache.set(keyId, cached);
    return cached;
  }
}

interface CachedKey {
  stored: StoredApiKey | null;
  actor: Actor | null;
  readAt: number;
}

function parsePresented(presented: string): [keyId: string, secret: string] {
  const match = KEY_PATTERN.exec(presented.trim());
  if (!match) throw unauthorized();
  return [match[1]!, match[2]!];
}

/** The key's actor when `secret` is its secret and it is not revoked; `UNAUTHORIZED` otherwise. */
function verify({ stored, actor }: CachedKey, secret: string): Actor {
  const offered = hashSecret(secret);
  if (
    !stored ||
    !actor ||
    stored.revokedAt !== null ||
    stored.secretHash.length !== offered.length ||
    !timingSafeEqual(stored.secretHash, offered)
  ) {
    throw unauthorized();
  }
  return actor;
}
