/**
 * The customers table group: the customer documents, their alternate keys, their history.
 * Reads and writes work on batches, one statement per table per batch. Their planner statistics
 * are kept up in customer-statistics.ts.
 */
import type { AlternateKey, CustomerState } from "../domain/customer.js";
import type { Queryable } from "./database.js";
import { textArrayLiteral, valuesList } from "./sql-arrays.js";

/** The table whose writes `Database.watch` reports, keyed by customer id. */
export const CUSTOMERS_TABLE = "customers";

export interface StoredCustomer {
  state: CustomerState;
  version: number;
}

/** The search columns of a customer: what `find` matches, normalized as the queries are. */
export interface SearchColumns {
  emails: string[];
  phones: string[];
  postalCodes: string[];
  nameTokens: string[];
}

export interface CustomerWrite {
  state: CustomerState;
  /** The record as the API shows it (CustomerResponseType), as JSON text. */
  responseText: string;
  valid: boolean;
  search: SearchColumns;
  /** Keys removed outright (UpdateType="DELETE"), not just deactivated. */
  deletedAlternateKeys: AlternateKey[];
}

export interface HistoryRow {
  customerID: string;
  actor: string;
  channel: string;
  operation: string;
  changes: unknown;
}

export async function allocateCustomerIds(tx: Queryable, count: number): Promise<string[]> {
  if (count === 0) return [];
  const rows = await tx.query<{ id: string }>(
    "SELECT nextval('customer_id_seq')::text AS id FROM generate_series(1, $1::int)",
    [count],
  );
  return rows.map((row) => row.id);
}

/**
 * The stored customers with these ids. With `forUpdate`, their rows stay locked to the end of the
 * transaction, taken in id order (so two writers never wait on each other in a circle): a change
 * read, decided and written under the lock cannot lose another's change made meanwhile.
 */
export async function loadCustomers(
  db: Queryable,
  customerIDs: readonly string[],
  options: { forUpdate?: boolean } = {},
): Promise<Map<string, StoredCustomer>> {
  const found = new Map<string, StoredCustomer>();
  const ids = customerIDs.filter((id) => /^\d{1,18}$/.test(id));
  if (ids.length === 0) return found;
  const rows = await db.query<{ id: string; record: string; version: number }>(
    "SELECT customer_id::text AS id, record, version FROM customers WHERE customer_id = ANY($1::bigint[])" +
      (options.forUpdate ? " ORDER BY customer_id FOR UPDATE" : ""),
    [ids],
  );
  for (const row of rows)
    found.set(row.id, { state: parseRecord(row.record), version: row.version });
  return found;
}

/** The stored record: JSON text written by `saveCustomers` (migration 0010). */
export const parseRecord = (text: string): CustomerState => JSON.parse(text) as CustomerState;

/** A customer's stored response text, and whether the customer is still active. */
export interface StoredResponse {
  /** Null for rows written before the text was kept. */
  text: string | null;
  active: boolean;
  /** The customer a merged-away customer went into. */
  mergedInto: string | null;
}

/**
 * The customer's record as JSON text, as it was rendered when the customer was last written, with
 * whether it is active; undefined when no customer has the id (`text` is null when the row was
 * written before that text was kept).
 */
export async function loadResponseText(
  db: Queryable,
  customerID: string,
): Promise<StoredResponse | undefined> {
  if (!/^\d{1,18}$/.test(customerID)) return undefined;
  const [row] = await db.query<{
    response_text: string | null;
    active: boolean;
    merged_into: string | null;
  }>(
    `SELECT response_text, active, CASE WHEN NOT active THEN record::jsonb->>'mergedInto' END AS merged_into
       FROM customers WHERE customer_id = $1::bigint`,
    [customerID],
  );
  return row === undefined
    ? undefined
    : { text: row.response_text, active: row.active, mergedInto: row.merged_into };
}

/**
 * Which active customer holds each wanted key ($1 type codes, $2 ids): one probe of the active-key
 * index per key. Written as a plain join, the planner may sort the whole key table for each batch
 * (a server's statistics lag a growing import): each batch then cost time in proportion to the
 * customers already stored, until the statistics caught up.
 */
export const KEY_HOLDERS = `SELECT wanted.type_code, wanted.alternate_id, k.customer_id::text AS customer_id
   FROM unnest($1::text[], $2::text[]) AS wanted (type_code, alternate_id)
  CROSS JOIN LATERAL (
        SELECT customer_id FROM customer_alternate_keys
         WHERE type_code = wanted.type_code AND alternate_id = wanted.alternate_id AND active
         LIMIT 1) AS k`;

/** Which active customer holds each of these keys: `TYPE\0ID` -> customerID. */
export async function findKeyHolders(
  db: Queryable,
  keys: readonly AlternateKey[],
): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  if (keys.length === 0) return holders;
  const rows = await db.query<{ type_code: string; alternate_id: string; customer_id: string }>(
    KEY_HOLDERS,
    [keys.map((key) => key.typeCode), keys.map((key) => key.alternateID)],
  );
  for (const row of rows) holders.set(keyId(row.type_code, row.alternate_id), row.customer_id);
  return holders;
}

export const keyId = (typeCode: string, alternateID: string): string =>
  `${typeCode}\u0000${alternateID}`;

/**
 * The most customers `applyBatch` writes together. A batch of this size is written by one
 * statement whose text never changes, kept prepared on the server (docs/storage.md, "Prepared
 * statements").
 */
export const FULL_BATCH = 500;

const CUSTOMER_ROW_CASTS = [
  "bigint",
  "boolean",
  "boolean",
  "text",
  "text",
  "text[]",
  "text[]",
  "text[]",
  "text[]",
];

const insertCustomers = (rows: number): string =>
  `INSERT INTO customers (customer_id, active, valid, record, response_text, emails, phones, postal_codes, name_tokens)
     ${valuesList(CUSTOMER_ROW_CASTS, rows)}
     ON CONFLICT (customer_id) DO UPDATE
        SET active = excluded.active, valid = excluded.valid, record = excluded.record,
            response_text = excluded.response_text,
            emails = excluded.emails, phones = excluded.phones, postal_codes = excluded.postal_codes,
            name_tokens = excluded.name_tokens, version = customers.version + 1, updated_at = now()`;

const INSERT_FULL_BATCH = insertCustomers(FULL_BATCH);

/**
 * Writes a batch of customers (new and changed alike) with their alternate keys. `existing` are
 * the ids that were already stored, so keys no longer held can be deactivated.
 */
export async function saveCustomers(
  tx: Queryable,
  writes: readonly CustomerWrite[],
  existing: ReadonlySet<string>,
): Promise<void> {
  if (writes.length === 0) return;
  const full = writes.length === FULL_BATCH;
  await tx.query(
    full ? INSERT_FULL_BATCH : insertCustomers(writes.length),
    writes.flatMap((write) => [
      write.state.customerID,
      write.state.active,
      write.valid,
      JSON.stringify(write.state),
      write.responseText,
      textArrayLiteral(write.search.emails),
      textArrayLiteral(write.search.phones),
      textArrayLiteral(write.search.postalCodes),
      textArrayLiteral(write.search.nameTokens),
    ]),
    { prepared: full ? `custhub_save_customers_${FULL_BATCH}` : undefined },
  );
  // This process's record caches hear of the write as it commits; other processes', through the
  // change trigger's notification (migration 0009).
  tx.announce(
    CUSTOMERS_TABLE,
    writes.map((write) => write.state.customerID),
  );
  // A deleted customer's keys stop counting: "unique among active customers" (SPEC 2).
  const held = writes.flatMap((write) =>
    write.state.active
      ? write.state.alternateKeys.map((key) => ({ customerID: write.state.customerID, ...key }))
      : [],
  );
  const changedIds = writes.map((write) => write.state.customerID).filter((id) => existing.has(id));
  if (changedIds.length > 0) {
    await tx.query(
      `UPDATE customer_alternate_keys k SET active = false
        WHERE k.customer_id = ANY($1::bigint[]) AND k.active
          AND NOT EXISTS (
            SELECT 1 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS held (customer_id, type_code, alternate_id)
             WHERE held.customer_id = k.customer_id AND held.type_code = k.type_code
               AND held.alternate_id = k.alternate_id)`,
      [
        changedIds,
        held.map((key) => key.customerID),
        held.map((key) => key.typeCode),
        held.map((key) => key.alternateID),
      ],
    );
    const deleted = writes.flatMap((write) =>
      write.deletedAlternateKeys.map((key) => ({ customerID: write.state.customerID, ...key })),
    );
    if (deleted.length > 0) {
      await tx.query(
        `DELETE FROM customer_alternate_keys k
          USING unnest($1::bigint[], $2::text[], $3::text[]) AS gone (customer_id, type_code, alternate_id)
          WHERE k.customer_id = gone.customer_id AND k.type_code = gone.type_code
            AND k.alternate_id = gone.alternate_id`,
        [
          deleted.map((key) => key.customerID),
          deleted.map((key) => key.typeCode),
          deleted.map((key) => key.alternateID),
        ],
      );
    }
  }
  if (held.length > 0) {
    await tx.query(
      `INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
       ON CONFLICT (customer_id, type_code, alternate_id) DO UPDATE SET active = true
        WHERE NOT customer_alternate_keys.active`,
      [
        held.map((key) => key.customerID),
        held.map((key) => key.typeCode),
        held.map((key) => key.alternateID),
      ],
    );
  }
}

/**
 * The merged customer's create date: the earliest of its duplicates' (seeds/003 Table 2-3, "Create
 * Date: Minimum").
 */
export async function inheritCreateDate(
  tx: Queryable,
  customerID: string,
  from: readonly string[],
): Promise<void> {
  await tx.query(
    `UPDATE customers SET created_at = least(created_at,
       (SELECT min(created_at) FROM customers WHERE customer_id = ANY($2::bigint[])))
      WHERE customer_id = $1::bigint`,
    [customerID, from],
  );
}

export async function insertHistory(tx: Queryable, rows: readonly HistoryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO customer_history (customer_id, actor, channel, operation, changes)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`,
    [
      rows.map((row) => row.customerID),
      rows.map((row) => row.actor),
      rows.map((row) => row.channel),
      rows.map((row) => row.operation),
      rows.map((row) => JSON.stringify(row.changes)),
    ],
  );
}

export interface HistoryEntry {
  id: string;
  changedAt: Date;
  actor: string;
  channel: string;
  operation: string;
  changes: unknown;
}

export async function readHistory(db: Queryable, customerID: string): Promise<HistoryEntry[]> {
  const rows = await db.query<{
    id: string;
    changed_at: Date;
    actor: string;
    channel: string;
    operation: string;
    changes: unknown;
  }>(
    `SELECT id::text AS id, changed_at, actor, channel, operation, changes
       FROM customer_history WHERE customer_id = $1::bigint ORDER BY customer_history.id`,
    [customerID],
  );
  return rows.map((row) => ({
    id: row.id,
    changedAt: row.changed_at,
    actor: row.actor,
    channel: row.channel,
    operation: row.operation,
    changes: row.changes,
  }));
}

export interface FindQuery {
  email?: string | undefined;
  phone?: string | undefined;
  postalCode?: string | undefined;
  nameTokens?: string[] | undefined;
  /** Only customers with an id above this one (the cursor). */
  after?: string | undefined;
  limit: number;
  includeInactive?: boolean | undefined;
}

/** Customers matching every given criterion, in customerID order, one page. */
export async function findCustomers(db: Queryable, query: FindQuery): Promise<CustomerState[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown): void => {
    params.push(value);
    conditions.push(condition.replace("?", `$${params.length}`));
  };
  if (!query.includeInactive) conditions.push("active");
  if (query.email !== undefined) add("emails @> ARRAY[?::text]", query.email);
  if (query.phone !== undefined) add("phones @> ARRAY[?::text]", query.phone);
  if (query.postalCode !== undefined) add("postal_codes @> ARRAY[?::text]", query.postalCode);
  if (query.nameTokens !== undefined && query.nameTokens.length > 0) {
    add("name_tokens @> ?::text[]", query.nameTokens);
  }
  if (query.after !== undefined) add("customer_id > ?::bigint", query.after);
  params.push(query.limit);
  const rows = await db.query<{ record: string }>(
    `SELECT record FROM customers
      ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
      ORDER BY customer_id LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => parseRecord(row.record));
}

export async function countCustomers(db: Queryable): Promise<{ total: number; active: number }> {
  const [row] = await db.query<{ total: string; active: string }>(
    "SELECT count(*)::text AS total, count(*) FILTER (WHERE active)::text AS active FROM customers",
  );
  return { total: Number(row?.total ?? 0), active: Number(row?.active ?? 0) };
}
