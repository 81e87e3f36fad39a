/**
 * How every command speaks: a human form by default, and with `--json` exactly one JSON document
 * on stdout (SPEC 10). Failures go to stderr as `error CODE: message`; with `--json` the error
 * document `{error: {code, message, details}}` also goes to stdout, so scripts always get JSON.
 */
import { CusthubError, isCusthubError, toError, type ErrorCode } from "../domain/errors.js";
import { firstOf, io } from "./io.js";

export interface OutputOptions {
  json?: boolean;
}

/** Exit codes: 0 done, 1 the operation failed (not found, refused), 2 bad usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function printResult(options: OutputOptions, value: unknown, human: () => string): void {
  io().stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Sets the exit code of the command running now. */
export function setExitCode(code: number): void {
  io().setExitCode(code);
}

/** Reports a failure and sets the exit code it calls for. */
export function fail(options: OutputOptions, error: unknown): void {
  setExitCode(reportFailure(options, error));
}

/**
 * The codes that say what was typed (or the file it names) is malformed, whatever the data holds:
 * exit 2. A well-formed value the data refuses (not found, already exists, a rule, a status)
 * exits 1.
 */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "INVALID_REQUEST",
  "INVALID_SETTING",
  "INVALID_DATE_FORMAT",
]);

/** The `{code, message, details}` of a failure, as `--json` prints it. */
export type ErrorBody = ReturnType<CusthubError["toJSON"]>;

const asFailure = (error: unknown): CusthubError =>
  isCusthubError(error)
    ? error
    : new CusthubError("GENERAL_ERROR", toError(error).message, {}, { cause: error });

export const errorBody = (error: unknown): ErrorBody => asFailure(error).toJSON();

const writeErrorDocument = (failure: CusthubError): void =>
  void io().stdout.write(`${JSON.stringify({ error: failure.toJSON() }, null, 2)}\n`);

export function reportFailure(options: OutputOptions, error: unknown): number {
  const failure = asFailure(error);
  if (options.json) writeErrorDocument(failure);
  io().stderr.write(`error ${failure.code}: ${failure.message}\n`);
  return USAGE_CODES.has(failure.code) ? EXIT.usage : EXIT.failed;
}

/**
 * A usage error that commander has already told people on stderr, with the usage: exit 2, and
 * with `--json` the error document on stdout too, as for any failure.
 */
export function reportUsageError(options: OutputOptions, message: string): void {
  if (options.json) writeErrorDocument(new CusthubError("INVALID_REQUEST", message, {}));
  setExitCode(EXIT.usage);
}

/** A fixed-width table for people: one header row, then the rows. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  // Folded row by row: spread into Math.max, a large import's review overflowed the call stack.
  const widths = headers.map((header) => header.length);
  for (const row of rows) widen(widths, row);
  return [tableLine(widths, headers), ...rows.map((row) => tableLine(widths, row))].join("\n");
}

/** Widens `widths` to hold the cells of `row`. */
export function widen(widths: number[], row: readonly string[]): void {
  for (const [column, cell] of row.entries()) {
    widths[column] = Math.max(widths[column] ?? 0, cell.length);
  }
}

/** One line of a table whose columns are `widths` wide. */
export const tableLine = (widths: readonly number[], cells: readonly string[]): string =>
  cells
    .map((cell, column) => cell.padEnd(widths[column] ?? 0))
    .join("  ")
    .trimEnd();

/**
 * Writes `text` to the command's stdout, waiting while the reader catches up: a long output is
 * written as it is made, never held whole. A reader gone (`| head`) waits for nothing.
 */
export async function writeOut(text: string): Promise<void> {
  const out = io().stdout as NodeJS.WritableStream & { destroyed?: boolean };
  if (out.write(text) || out.destroyed) return;
  await firstOf(out, ["drain", "close"]);
}
