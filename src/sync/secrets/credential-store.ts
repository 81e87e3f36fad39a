/**
 * The credential store (seeds/001 "Configuration": the client ID and secret saved in a credential
 * map under a key). Values are sealed with AES-256-GCM under the master key; the map and key names
 * are bound into each seal as associated data, so a value copied to another key does not open.
 * Nothing here returns a value to a caller outside the sync job: `load` hands back `Secret`s.
 *
 * A sealed value is a record of named fields (JSON). The data-sync client credentials are the
 * record `{clientId, clientSecret}`; other destinations keep the fields their definition lists
 * (`saveFields`/`loadFields`), so one format serves every destination.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CusthubError } from "../../domain/errors.js";
import { readSealedCredential, writeSealedCredential } from "../../store/credentials.js";
import type { Queryable } from "../../store/database.js";
import { loadMasterKey, type MasterKey, type MasterKeySource } from "./master-key.js";
import { Secret } from "./secret.js";

export interface ClientCredentials {
  clientId: Secret;
  clientSecret: Secret;
}

export interface CredentialLocation {
  mapName: string;
  keyName: string;
}

/** What may be shown about saved credentials: that they exist, and since when. */
export interface CredentialDescription extends CredentialLocation {
  saved: boolean;
  updatedAt: string | null;
}

/** A credential field as the store keeps it (`CredentialFieldSpec` of a destination). */
export interface CredentialField {
  name: string;
  /** A secret (client secret, password, API key), or a name (client ID, username). */
  secret: boolean;
}

/**
 * What is kept of a field's value, the same on every way of saving it: a secret exactly as given
 * (a space may be part of it, and a secret of spaces is still one), a name without the spaces
 * around it (a paste's, never the name's, and a token endpoint refuses a client ID sent with
 * them). Null when nothing is left to keep: an empty secret, a name of spaces.
 *
 * @example
 * keptValue("  custhub-client ", false) // => "custhub-client"
 * keptValue("  s3cret ", true)          // => "  s3cret "
 */
export function keptValue(value: string, secret: boolean): string | null {
  const kept = secret ? value : value.trim();
  return kept === "" ? null : kept;
}

/** The fields of `spec` given, each as `keptValue` keeps it; one with nothing left is left out. */
function keptFields(
  fields: Readonly<Record<string, string>>,
  spec: readonly CredentialField[],
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const { name, secret } of spec) {
    const value = keptValue(fields[name] ?? "", secret);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

const SEAL_VERSION = "v1";
const NONCE_BYTES = 12;

export class CredentialStore {
  constructor(
    private readonly db: Queryable,
    private readonly masterKey: MasterKeySource,
  ) {}

  /** The data-sync client credentials, kept as `saveFields` keeps the `datasync` destination's. */
  async save(
    location: CredentialLocation,
    credentials: { clientId: string; clientSecret: string },
  ): Promise<CredentialDescription> {
    const clientId = keptValue(credentials.clientId, false);
    const clientSecret = keptValue(credentials.clientSecret, true);
    if (clientId === null || clientSecret === null) {
      // seeds/001: "The Save button is enabled when both the Client ID and the Secret have been entered."
      throw new CusthubError(
        "INVALID_REQUEST",
        "Both the client ID and the secret are needed.",
        {},
      );
    }
    const key = loadMasterKey(this.masterKey, { create: true });
    const plaintext = JSON.stringify({ clientId, clientSecret });
    const updatedAt = await writeSealedCredential(this.db, {
      ...location,
      encryptedValue: seal(key, plaintext, associatedData(location)),
      masterKeyId: key.id,
    });
    return { ...location, saved: true, updatedAt };
  }

  /**
   * Saves a record of fields, every one of `spec` needed and no other, each kept as `keptValue`
   * says; returns where, never what.
   */
  async saveFields(
    location: CredentialLocation,
    fields: Readonly<Record<string, string>>,
    spec: readonly CredentialField[],
  ): Promise<CredentialDescription> {
    const names = spec.map((field) => field.name);
    const unknown = Object.keys(fields).filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `Unknown credential field ${unknown.join(", ")}: the fields are ${names.join(", ")}.`,
        { field: unknown[0], fields: names },
      );
    }
    const kept = keptFields(fields, spec);
    const missing = names.filter((name) => kept[name] === undefined);
    if (missing.length > 0) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `Credential field ${missing.join(", ")} is needed.`,
        { field: missing[0], fields: names },
      );
    }
    const key = loadMasterKey(this.masterKey, { create: true });
    const updatedAt = await writeSealedCredential(this.db, {
      ...location,
      encryptedValue: seal(key, JSON.stringify(kept), associatedData(location)),
      masterKeyId: key.id,
    });
    return { ...location, saved: true, updatedAt };
  }

  /** The saved record of fields as `Secret`s; `notFound` is the error's message when none are. */
  async loadFields(
    location: CredentialLocation,
    notFound = `No credentials are saved in credential map ${location.mapName} under key ${location.keyName}.`,
  ): Promise<Record<string, Secret>> {
    const parsed = await this.#open(location, notFound);
    const fields: Record<string, Secret> = {};
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === "string") fields[name] = new Secret(value);
    }
    return fields;
  }

  async load(location: CredentialLocation): Promise<ClientCredentials> {
    const parsed = (await this.#open(
      location,
      `No client ID and secret are saved in credential map ${location.mapName} under key ${location.keyName}; ` +
        "save them with `custhub credentials set`.",
    )) as { clientId: string; clientSecret: string };
    return { clientId: new Secret(parsed.clientId), clientSecret: new Secret(parsed.clientSecret) };
  }

  async #open(location: CredentialLocation, notFound: string): Promise<Record<string, unknown>> {
    const sealed = await readSealedCredential(this.db, location.mapName, location.keyName);
    if (!sealed) {
      throw new CusthubError("CREDENTIALS_NOT_FOUND", notFound, { ...location });
    }
    const key = loadMasterKey(this.masterKey, { create: false });
    if (key.id !== sealed.masterKeyId) {
      throw new CusthubError(
        "MASTER_KEY_INVALID",
        `The credentials in ${location.mapName}/${location.keyName} were saved under another master key ` +
          `(${sealed.masterKeyId}; this process has ${key.id}). Use that key, or save them again.`,
        { ...location, savedWith: sealed.masterKeyId, current: key.id },
      );
    }
    return JSON.parse(open(key, sealed.encryptedValue, associatedData(location))) as Record<
      string,
      unknown
    >;
  }

  async describe(location: CredentialLocation): Promise<CredentialDescription> {
    const sealed = await readSealedCredential(this.db, location.mapName, location.keyName);
    return { ...location, saved: sealed !== null, updatedAt: sealed?.updatedAt ?? null };
  }
}

const associatedData = (location: CredentialLocation): Buffer =>
  Buffer.from(`custhub credential ${SEAL_VERSION}\0${location.mapName}\0${location.keyName}`);

/** `v1.<nonce>.<ciphertext>.<tag>`, each part base64url. */
export function seal(key: MasterKey, plaintext: string, aad: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.bytes(), nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [SEAL_VERSION, nonce, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function open(key: MasterKey, sealed: string, aad: Buffer): string {
  const [version, nonce, ciphertext, tag] = sealed.split(".");
  if (version !== SEAL_VERSION || !nonce || ciphertext === undefined || !tag) {
    throw new CusthubError(
      "MASTER_KEY_INVALID",
      "A sealed credential is not in a known format.",
      {},
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes(), Buffer.from(nonce, "base64url"));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  } catch (error) {
    throw new CusthubError(
      "MASTER_KEY_INVALID",
      "A sealed credential does not open with this master key: the key differs, or the value was altered.",
      {},
      { cause: error },
    );
  }
}
