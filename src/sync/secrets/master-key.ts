/**
 * The master key that seals the credential store (SPEC 6: AES-256-GCM, key from
 * `CUSTHUB_MASTER_KEY` or a key file created with mode 0600). 32 bytes, given as 64 hex digits or
 * base64. Without the environment variable, `<data dir>/master.key` holds it; it is created, from
 * the system's random source, the first time credentials are saved.
 *
 * The key never enters the database. Processes that share one PostgreSQL server from different
 * machines must share the key: give each the same `CUSTHUB_MASTER_KEY`.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { inspect } from "node:util";
import { dirname, join } from "node:path";
import { CusthubError } from "../../domain/errors.js";

export const MASTER_KEY_ENV = "CUSTHUB_MASTER_KEY";
const KEY_BYTES = 32;

/** Where the key comes from: the environment variable's value, else the key file. */
export interface MasterKeySource {
  /** The value of `CUSTHUB_MASTER_KEY`, if set. */
  fromEnvironment: string | undefined;
  /** `<data dir>/master.key`. */
  keyFile: string;
}

export const masterKeyFileOf = (dataDir: string): string => join(dataDir, "master.key");

/** The key bytes, kept out of logs and JSON: printing a `MasterKey` shows only its id. */
export class MasterKey {
  readonly #bytes: Buffer;
  /** A fingerprint stored beside each sealed value, to tell "wrong key" from "corrupted". */
  readonly id: string;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES) throw new Error(`a master key has ${KEY_BYTES} bytes`);
    this.#bytes = Buffer.from(bytes);
    this.id = createHash("sha256")
      .update("custhub master key id\0")
      .update(this.#bytes)
      .digest("hex")
      .slice(0, 16);
  }

  bytes(): Buffer {
    return this.#bytes;
  }

  toJSON(): string {
    return `MasterKey(${this.id})`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** Reads 32 bytes written as 64 hex digits or as base64 (either alphabet). */
export function parseMasterKey(text: string, origin: string): MasterKey {
  const value = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) bytes = Buffer.from(value, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) bytes = Buffer.from(value, "base64");
  if (!bytes || bytes.length !== KEY_BYTES) {
    // The message describes the value, never repeats it.
    throw new CusthubError(
      "MASTER_KEY_INVALID",
      `${origin} must hold a 32-byte key written as 64 hex digits or as base64 (44 characters); ` +
        `it holds ${value.length} characters${bytes ? ` that decode to ${bytes.length} bytes` : " that are neither"}.`,
      { origin },
    );
  }
  return new MasterKey(bytes);
}

/**
 * The master key. With `create`, a missing key file is created (mode 0600, atomically, so two
 * processes starting together end up with the same key); without it, a missing key is an error.
 */
export function loadMasterKey(source: MasterKeySource, options: { create: boolean }): MasterKey {
  if (source.fromEnvironment !== undefined && source.fromEnvironment.trim() !== "") {
    return parseMasterKey(source.fromEnvironment, MASTER_KEY_ENV);
  }
  const existing = readKeyFile(source.keyFile);
  if (existing) return existing;
  if (!options.create) {
    throw new CusthubError(
      "MASTER_KEY_INVALID",
      `No master key: ${MASTER_KEY_ENV} is not set and ${source.keyFile} does not exist. ` +
        "Saved credentials cannot be read without the key they were saved with.",
      { keyFile: source.keyFile },
    );
  }
  return createKeyFile(source.keyFile);
}

function readKeyFile(path: string): MasterKey | null {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new CusthubError(
      "MASTER_KEY_INVALID",
      `${path} is open to other users (mode ${(mode & 0o777).toString(8)}); make it 600 (chmod 600).`,
      { keyFile: path },
    );
  }
  return parseMasterKey(readFileSync(path, "utf8"), path);
}

function createKeyFile(path: string): MasterKey {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = new MasterKey(randomBytes(KEY_BYTES));
  // Written whole under a private name, then linked into place: link() fails if the file exists,
  // so a reader never sees a half-written key and a concurrent creator's key wins cleanly.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  const fd = openSync(draft, "wx", 0o600);
  try {
    writeSync(fd, `${key.bytes().toString("base64")}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = readKeyFile(path);
    if (!winner) throw error;
    return winner;
  } finally {
    rmSync(draft, { force: true });
  }
}
