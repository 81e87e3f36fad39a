/**
 * Destination pauses (migration 0017): a receiver that asks to slow down (a 429, a 503 with
 * Retry-After) pauses its destination for every worker until the pause ends or an operator
 * resumes it. Design: docs/sync.md.
 */
import type { Queryable } from "./database.js";

/** A pause a worker asks for: the destination takes no message for `delayMs` from now. */
export interface PauseRequest {
  destination: string;
  delayMs: number;
  /** The receiver's status that asked for it. */
  status: number | null;
  /** Why, in custhub's words: the message and its customer, the status (never the receiver's words). */
  reason: string;
}

/** A destination paused because its receiver asked to slow down (migration 0017). */
export interface DestinationPause {
  destination: string;
  /** No message goes to the destination before this instant (ISO 8601). */
  pausedUntil: string;
  pausedAt: string;
  status: number | null;
  reason: string;
}

/**
 * Pauses a destination for some milliseconds from now, with the status and reason that asked for
 * it (parameters `$first` to `$first+3`), unless it is paused longer already: two workers told to
 * wait keep the longer wait. Nothing when the destination parameter is null.
 */
export function pauseUpsert(first: number): string {
  const [destination, delayMs, status, reason] = [0, 1, 2, 3].map((at) => `$${first + at}`);
  return `INSERT INTO data_sync_destination_pauses AS p
         (destination, paused_until, paused_at, status, reason)
       SELECT ${destination}::text, now() + ${delayMs}::bigint * interval '1 millisecond', now(),
              ${status}::int, ${reason}::text
        WHERE ${destination}::text IS NOT NULL
       ON CONFLICT (destination) DO UPDATE
         SET paused_until = excluded.paused_until, paused_at = excluded.paused_at,
             status = excluded.status, reason = excluded.reason
       WHERE p.paused_until < excluded.paused_until
       RETURNING 1`;
}

/** Pauses a destination (see `PauseRequest`); a longer pause already stored stands. */
export async function pauseDestination(db: Queryable, pause: PauseRequest): Promise<void> {
  await db.query(pauseUpsert(1), [
    pause.destination,
    Math.round(pause.delayMs),
    pause.status,
    pause.reason,
  ]);
}

/** The destinations paused now, by name. */
export async function activePauses(db: Queryable): Promise<Map<string, DestinationPause>> {
  return readPauses(db, null);
}

/** The destination's pause, while it holds; null when it is not paused. */
export async function destinationPause(
  db: Queryable,
  destination: string,
): Promise<DestinationPause | null> {
  return (await readPauses(db, destination)).get(destination) ?? null;
}

/** The pauses that hold now: of every destination, or of the one named. */
async function readPauses(
  db: Queryable,
  destination: string | null,
): Promise<Map<string, DestinationPause>> {
  const rows = await db.query<{
    destination: string;
    paused_until: Date;
    paused_at: Date;
    status: number | null;
    reason: string;
  }>(
    `SELECT destination, paused_until, paused_at, status, reason
       FROM data_sync_destination_pauses
      WHERE paused_until > now() AND ($1::text IS NULL OR destination = $1)`,
    [destination],
  );
  return new Map(
    rows.map((row) => [
      row.destination,
      {
        destination: row.destination,
        pausedUntil: new Date(row.paused_until).toISOString(),
        pausedAt: new Date(row.paused_at).toISOString(),
        status: row.status,
        reason: row.reason,
      },
    ]),
  );
}

/**
 * Ends a destination's pause now (an operator who knows the receiver is back), and makes due now
 * its messages that wait because the receiver asked to slow down (a 429, a 503): the next run
 * sends them in order. Whether a pause was on.
 */
export async function resumeDestination(db: Queryable, destination: string): Promise<boolean> {
  const [row] = await db.query<{ active: boolean }>(
    `WITH ended AS (
       DELETE FROM data_sync_destination_pauses WHERE destination = $1
       RETURNING paused_until > now() AS active
     ), due AS (
       UPDATE data_sync_progress_queue SET next_attempt_at = now()
        WHERE destination = $1 AND last_status IN (429, 503) AND next_attempt_at > now()
     )
     SELECT coalesce((SELECT active FROM ended), false) AS active`,
    [destination],
  );
  return row?.active ?? false;
}
