/**
 * A failure of the database, told in custhub's words. PostgreSQL's own message can quote the value
 * it refused (`invalid input syntax for type integer: "Ottoline"`) and names its constraints,
 * tables and columns: what a file's sender or an API caller reads must hold neither. The error
 * stays as the cause, for the server log, which takes the values out (log-redaction.ts).
 */
import { CusthubError, isCusthubError, toError } from "../domain/errors.js";

/** A SQLSTATE: a class of two characters (`23`, `P0`, `XX`), then three more. */
const SQLSTATE = /^(?:[0-5]\d|F0|HV|P0|XX)[0-9A-Z]{3}$/;

/** The SQLSTATE of a database error; undefined for any other error. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && SQLSTATE.test(code) ? code : undefined;
}

/**
 * SQLSTATE classes that refuse the statement's data: a value it cannot hold (22), a constraint
 * (23), a limit such as an index entry's size (54), a trigger's exception (P0). Any other class
 * is the database failing, whatever was sent: a lost connection, a server shutting down.
 */
const DATA_REFUSED = /^(?:22|23|54|P0)/;

/** Whether the database refused the data the statement wrote, rather than failing on its own. */
export const refusedTheData = (error: unknown): boolean =>
  DATA_REFUSED.test(sqlStateOf(error) ?? "");

/** What the other classes say, in words. */
const CLASS_WORDS: Record<string, string> = {
  "08": "the connection to the database broke",
  "40": "the database rolled the transaction back",
  "53": "the database ran out of resources (disk, memory or connections)",
  "57": "the database stopped or cancelled the statement",
};

/**
 * Why `error` stopped a write, in words of custhub's own: for a database error its SQLSTATE and
 * what its class means; for a system error (`ENOSPC`, `ECONNRESET`) its message, which names a
 * path or an address and never a value; for anything else its class.
 */
export function failureWords(error: unknown): string {
  const state = sqlStateOf(error);
  if (state !== undefined) {
    const words = refusedTheData(error)
      ? "the database refused it"
      : (CLASS_WORDS[state.slice(0, 2)] ?? "the database failed");
    return `${words} (SQLSTATE ${state})`;
  }
  const cause = toError(error);
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return cause.message;
  return `an internal error (${cause.constructor.name || cause.name})`;
}

/**
 * A write that failed, as the request's outcome: its own CusthubError, or GENERAL_ERROR in
 * custhub's words (`failureWords`), the error kept as the cause.
 */
export function savingFailed(error: unknown): CusthubError {
  if (isCusthubError(error)) return error;
  const state = sqlStateOf(error);
  return new CusthubError(
    "GENERAL_ERROR",
    `The change could not be saved: ${failureWords(error)}.`,
    state === undefined ? {} : { sqlState: state },
    { cause: error },
  );
}
