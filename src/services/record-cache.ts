/**
 * Customer records as `GET /api/v1/customers/{id}` sends them, kept in memory by `custhub serve`
 * (docs/storage.md, "Record cache"): a read that hits sends the text as it is, with no database
 * round trip.
 *
 * It never answers with a record older than a write this process has committed: the store
 * announces each write as it commits (`Queryable.announce`), before the writer's caller hears it
 * is done. Writes by other processes (on a PostgreSQL server) arrive as the change trigger's
 * notifications, a moment after their commit. A read that was under way while its customer was
 * written does not keep what it read: each fill names the moment its read began (`begin`), and
 * is dropped when the customer was written since. While notifications cannot be heard (the
 * connection is lost), nothing is kept and every read goes to the database.
 *
 * Bounded in bytes (about one byte per character of an ASCII record); the least recently read
 * records make room.
 */
import type { TableWatcher } from "../store/database.js";

/** Bytes counted per entry beyond its text: the key, the map's entry, the string's header. */
const ENTRY_OVERHEAD = 96;
/** Customers written while reads were under way that are remembered one by one; past this, all. */
const MOST_WRITES_TRACKED = 10_000;

export interface RecordCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
  /** False while writes by other processes cannot be heard: nothing is kept then. */
  trusted: boolean;
}

export class RecordCache implements TableWatcher {
  /** Least recently read first: a hit moves its entry to the end. */
  readonly #texts = new Map<string, string>();
  /** Customer id -> the epoch of its latest write heard. */
  readonly #writtenAt = new Map<string, number>();
  /** Counts writes heard: a fill begun at epoch E is stale if its customer was written after E. */
  #epoch = 0;
  /** Fills begun before this epoch are dropped (the per-customer record was forgotten). */
  #floor = 0;
  #bytes = 0;
  #trusted = true;
  #hits = 0;
  #misses = 0;

  constructor(readonly maxBytes: number) {}

  get(customerID: string): string | undefined {
    const text = this.#texts.get(customerID);
    if (text === undefined) {
      this.#misses += 1;
      return undefined;
    }
    this.#texts.delete(customerID);
    this.#texts.set(customerID, text);
    this.#hits += 1;
    return text;
  }

  /** Call before reading a record from the database; hand the result to `fill`. */
  begin(): number {
    return this.#epoch;
  }

  /** Keeps `text`, read from the database after `begun`, unless its customer was written since. */
  fill(customerID: string, text: string, begun: number): void {
    if (!this.#trusted || begun < this.#floor) return;
    if ((this.#writtenAt.get(customerID) ?? -1) > begun) return;
    const cost = text.length + customerID.length + ENTRY_OVERHEAD;
    if (cost > this.maxBytes) return;
    this.#forget(customerID);
    this.#texts.set(customerID, text);
    this.#bytes += cost;
    for (const [oldest, oldText] of this.#texts) {
      if (this.#bytes <= this.maxBytes) break;
      this.#texts.delete(oldest);
      this.#bytes -= oldText.length + oldest.length + ENTRY_OVERHEAD;
    }
  }

  changed(customerIDs: readonly string[]): void {
    this.#epoch += 1;
    if (this.#writtenAt.size + customerIDs.length > MOST_WRITES_TRACKED) {
      // Forgetting which customers were written means no fill begun before now can be trusted.
      this.#writtenAt.clear();
      this.#floor = this.#epoch;
    }
    for (const customerID of customerIDs) {
      this.#forget(customerID);
      this.#writtenAt.set(customerID, this.#epoch);
    }
  }

  lost(): void {
    this.#trusted = false;
    this.#clear();
  }

  restored(): void {
    this.#clear();
    this.#trusted = true;
  }

  stats(): RecordCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#texts.size,
      bytes: this.#bytes,
      maxBytes: this.maxBytes,
      trusted: this.#trusted,
    };
  }

  #clear(): void {
    this.#texts.clear();
    this.#writtenAt.clear();
    this.#bytes = 0;
    this.#epoch += 1;
    this.#floor = this.#epoch;
  }

  #forget(customerID: string): void {
    const text = this.#texts.get(customerID);
    if (text === undefined) return;
    this.#texts.delete(customerID);
    this.#bytes -= text.length + customerID.length + ENTRY_OVERHEAD;
  }
}
