/**
 * Hearing of rows written to a table, for caches of them (docs/storage.md, "Record cache").
 *
 * Two sources, one `TableWatcher`: this process's own writes, announced by the store as it makes
 * them and delivered when their transaction commits (so a caller that waits for its write finds
 * every cache of this process already told); and, on a PostgreSQL server, every process's writes,
 * from the notifications the table's change trigger sends (migration 0009), heard on one
 * dedicated connection. When that connection is lost, watchers are told at once (a cache stops
 * trusting what it holds) and again when it is back.
 */
import type pg from "pg";
import type { TableWatcher } from "./database.js";

/** Announcements of one transaction, held until it commits. */
export type Announcements = { table: string; keys: readonly string[] }[];

/** The notification channel of a table's change trigger: `schema.table`, as the trigger names it. */
export const changeChannel = (schema: string, table: string): string => `${schema}.${table}`;

/** The change trigger's payload: the written rows' keys, comma-separated. */
export const keysOfPayload = (payload: string): string[] =>
  payload === "" ? [] : payload.split(",");

/** The watchers of one database, by table; what this process writes reaches them here. */
export class TableWatchers {
  readonly #byTable = new Map<string, Set<TableWatcher>>();

  add(table: string, watcher: TableWatcher): () => void {
    let watchers = this.#byTable.get(table);
    if (!watchers) this.#byTable.set(table, (watchers = new Set()));
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0) this.#byTable.delete(table);
    };
  }

  /** Held in `commit` until `deliver`, or delivered at once outside a transaction. */
  announce(table: string, keys: readonly string[], commit: Announcements | undefined): void {
    if (keys.length === 0 || !this.#byTable.has(table)) return;
    if (commit) commit.push({ table, keys });
    else this.changed(table, keys);
  }

  deliver(commit: Announcements): void {
    for (const { table, keys } of commit) this.changed(table, keys);
  }

  changed(table: string, keys: readonly string[]): void {
    for (const watcher of this.#byTable.get(table) ?? []) watcher.changed(keys);
  }
}

const RETRY_FIRST_MS = 500;
const RETRY_MOST_MS = 30_000;

export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

interface Channel {
  watchers: Set<TableWatcher>;
  /** Settles once LISTEN has been sent on the current connection. */
  listening: Promise<void>;
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to others), reopened with
 * backoff when lost. Watchers hear `lost` the moment it drops and `restored` once every channel
 * is listened to again.
 */
export class ServerNotifications {
  readonly #channels = new Map<string, Channel>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = RETRY_FIRST_MS;
  #closed = false;

  constructor(private readonly newClient: () => pg.Client) {}

  /** Resolves once the channel is listened to; rejects when the server cannot be reached. */
  async listen(channel: string, watcher: TableWatcher): Promise<() => Promise<void>> {
    let entry = this.#channels.get(channel);
    if (!entry) {
      const listening = this.#connected().then(async (client) => {
        await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      });
      const created: Channel = { watchers: new Set(), listening };
      this.#channels.set(channel, created);
      listening.catch(() => {
        if (this.#channels.get(channel) === created && created.watchers.size === 0) {
          this.#channels.delete(channel);
        }
      });
      entry = created;
    }
    await entry.listening;
    entry.watchers.add(watcher);
    const listened = entry;
    return async () => {
      listened.watchers.delete(watcher);
      if (listened.watchers.size > 0 || this.#channels.get(channel) !== listened) return;
      this.#channels.delete(channel);
      await this.#client?.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connected(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<pg.Client> {
    const client = this.newClient();
    client.on("notification", (message) => {
      const watchers = this.#channels.get(message.channel)?.watchers;
      if (!watchers || message.payload === undefined) return;
      const keys = keysOfPayload(message.payload);
      for (const watcher of watchers) watcher.changed(keys);
    });
    client.on("error", () => this.#drop(client));
    client.on("end", () => this.#drop(client));
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) {
        await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      throw new Error("The database is closed.");
    }
    this.#client = client;
    return client;
  }

  #drop(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    for (const watcher of this.#allWatchers()) watcher.lost();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#retry = setTimeout(() => {
      this.#connected().then(
        () => {
          this.#retryMs = RETRY_FIRST_MS;
          for (const watcher of this.#allWatchers()) watcher.restored();
        },
        () => {
          this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MOST_MS);
          if (!this.#closed) this.#scheduleReconnect();
        },
      );
    }, this.#retryMs);
    this.#retry.unref();
  }

  #allWatchers(): TableWatcher[] {
    return [...this.#channels.values()].flatMap((entry) => [...entry.watchers]);
  }
}
