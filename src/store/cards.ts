/** The card master. */
import type { CardState } from "../domain/card-status.js";
import type { Card, CardProgram, CardStanding } from "../domain/cards.js";
import type { Queryable } from "./database.js";

interface CardRecord {
  card_number: string;
  instrument_id: string | null;
  program: string | null;
  status: Card["status"];
  expiration_date: string | null;
  customer_id: string | null;
}

const COLUMNS = `card_number, instrument_id, program, status, to_char(expiration_date, 'YYYY-MM-DD') AS expiration_date,
  customer_id::text AS customer_id`;

const toCard = (row: CardRecord): Card => ({
  cardNumber: row.card_number,
  instrumentID: row.instrument_id,
  program: row.program,
  status: row.status,
  expirationDate: row.expiration_date,
  customerID: row.customer_id,
});

/** Adds a card; false when the number or serial is already on file. */
export async function insertCard(
  db: Queryable,
  card: Omit<Card, "customerID" | "status">,
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO cards (card_number, instrument_id, program, expiration_date)
     VALUES ($1, $2, $3, $4::date) ON CONFLICT DO NOTHING RETURNING card_number`,
    [card.cardNumber, card.instrumentID, card.program, card.expirationDate],
  );
  return rows.length > 0;
}

/**
 * The card with this number (or, without one, this serial), locked for the transaction, and what
 * the association checks it against: whether it was ever activated, and its program's definition
 * when its program is defined.
 */
export async function findCardForUpdate(
  tx: Queryable,
  by: { cardNumber?: string | undefined; instrumentID?: string | undefined },
): Promise<{ card: Card; standing: CardStanding } | null> {
  const select = `SELECT ${COLUMNS}, activated_at IS NOT NULL AS activated FROM cards`;
  const [row] = by.cardNumber
    ? await tx.query<CardRecord & { activated: boolean }>(
        `${select} WHERE card_number = $1 FOR UPDATE`,
        [by.cardNumber],
      )
    : await tx.query<CardRecord & { activated: boolean }>(
        `${select} WHERE instrument_id = $1 FOR UPDATE`,
        [by.instrumentID ?? null],
      );
  if (!row) return null;
  const program = row.program === null ? null : await readCardProgram(tx, row.program);
  return { card: toCard(row), standing: { activated: row.activated, program } };
}

export async function readCard(db: Queryable, cardNumber: string): Promise<Card | null> {
  const [row] = await db.query<CardRecord>(`SELECT ${COLUMNS} FROM cards WHERE card_number = $1`, [
    cardNumber,
  ]);
  return row ? toCard(row) : null;
}

export async function activateCardFor(
  tx: Queryable,
  cardNumber: string,
  customerID: string,
): Promise<void> {
  await tx.query(
    `UPDATE cards SET customer_id = $2::bigint, status = 'ACTIVE', activated_at = coalesce(activated_at, now())
      WHERE card_number = $1`,
    [cardNumber, customerID],
  );
}

/** A merge moves every card of the duplicates to the new customer (seeds/003 Table 2-3). */
export async function moveCards(
  tx: Queryable,
  fromCustomerIDs: readonly string[],
  toCustomerID: string,
): Promise<void> {
  await tx.query(
    "UPDATE cards SET customer_id = $2::bigint WHERE customer_id = ANY($1::bigint[])",
    [fromCustomerIDs, toCustomerID],
  );
}

/** The card with what a block remembers, locked for the transaction (card status changes). */
export async function findCardStateForUpdate(
  tx: Queryable,
  cardNumber: string,
): Promise<CardState | null> {
  const [row] = await tx.query<CardRecord & { blocked_from: CardState["blockedFrom"] }>(
    `SELECT ${COLUMNS}, blocked_from FROM cards WHERE card_number = $1 FOR UPDATE`,
    [cardNumber],
  );
  return row ? { ...toCard(row), blockedFrom: row.blocked_from } : null;
}

/** Writes a card's status, what its block remembers, and its expiration date. */
export async function saveCardState(tx: Queryable, card: CardState): Promise<void> {
  await tx.query(
    `UPDATE cards SET status = $2, blocked_from = $3, expiration_date = $4::date,
            activated_at = CASE WHEN $2 = 'ACTIVE' THEN coalesce(activated_at, now()) ELSE activated_at END
      WHERE card_number = $1`,
    [card.cardNumber, card.status, card.blockedFrom, card.expirationDate],
  );
}

interface CardProgramRecord {
  code: string;
  kind: CardProgram["kind"];
  effective_date: string | null;
  expiry_date: string | null;
  active: boolean;
}

const PROGRAM_COLUMNS = `code, kind, to_char(effective_date, 'YYYY-MM-DD') AS effective_date,
  to_char(expiry_date, 'YYYY-MM-DD') AS expiry_date, active`;

const toCardProgram = (row: CardProgramRecord): CardProgram => ({
  code: row.code,
  kind: row.kind,
  effectiveDate: row.effective_date,
  expiryDate: row.expiry_date,
  active: row.active,
});

/** Adds a card program; false when its code is taken. */
export async function insertCardProgram(db: Queryable, program: CardProgram): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO card_programs (code, kind, effective_date, expiry_date, active)
     VALUES ($1, $2, $3::date, $4::date, $5) ON CONFLICT DO NOTHING RETURNING code`,
    [program.code, program.kind, program.effectiveDate, program.expiryDate, program.active],
  );
  return rows.length > 0;
}

export async function readCardProgram(db: Queryable, code: string): Promise<CardProgram | null> {
  const [row] = await db.query<CardProgramRecord>(
    `SELECT ${PROGRAM_COLUMNS} FROM card_programs WHERE code = $1`,
    [code],
  );
  return row ? toCardProgram(row) : null;
}

/** The program codes that equal `code` but for letters' case (`OLD` for `old`). */
export async function programCodesLike(db: Queryable, code: string): Promise<string[]> {
  const rows = await db.query<{ code: string }>(
    "SELECT code FROM card_programs WHERE lower(code) = lower($1) AND code <> $1 ORDER BY code",
    [code],
  );
  return rows.map((row) => row.code);
}

export async function listCardPrograms(db: Queryable): Promise<CardProgram[]> {
  const rows = await db.query<CardProgramRecord>(
    `SELECT ${PROGRAM_COLUMNS} FROM card_programs ORDER BY code`,
  );
  return rows.map(toCardProgram);
}

/** Makes the program active or inactive; null when no program has the code. */
export async function setCardProgramActive(
  db: Queryable,
  code: string,
  active: boolean,
): Promise<CardProgram | null> {
  const [row] = await db.query<CardProgramRecord>(
    `UPDATE card_programs SET active = $2 WHERE code = $1 RETURNING ${PROGRAM_COLUMNS}`,
    [code, active],
  );
  return row ? toCardProgram(row) : null;
}
