/**
 * Imports one batch file: copies it to `complete/<fileset>/archived/`, streams its blocks through
 * the customer operations in groups (each block keeps its own outcome), writes every failed block
 * to `complete/<fileset>/failed/<name>_failures.xml` under the original root, and records the
 * import with one review row per failed or warned block (seeds/003 "Batch File Response"; SPEC 4).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  createReadStream,
  constants,
  copyFileSync,
  createWriteStream,
  mkdirSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { CusthubError, isCusthubError, toError } from "../domain/errors.js";
import { GROUP_SIZE, type CustomerOperation } from "../services/customers.js";
import type { Hub } from "../services/hub.js";
import {
  resumeAdvice,
  type AppliedBlock,
  type ImportClaim,
  type ImportProgress,
  type ImportRow,
  type ImportStop,
  type ReviewRow,
} from "../services/imports.js";
import type { ChangeContext } from "../services/customer-changes.js";
import { failureWords, refusedTheData, savingFailed } from "../services/database-failures.js";
import { valuesNotWritten, type ValidationIssue } from "../domain/customer.js";
import type { CardAssociation } from "../services/cards.js";
import type { MergeRequest } from "../services/customer-merge.js";
import { blockAction, customerOperation, mergeRequest } from "./customer-block.js";
import { reviewCodes } from "./error-tables.js";
import { boundHeap } from "./full-collection.js";
import {
  discardNamed,
  failuresName,
  freshTemporary,
  hasLeftovers,
  isTemporaryPath,
  publish,
  replace,
  sweepLeftovers,
  temporaryPath,
} from "./import-files.js";
import { cardAssociation } from "./instrument-block.js";
import {
  childNamed,
  readBlocks,
  XmlFileError,
  type XmlBlock,
  type XmlElement,
  type XmlFileHead,
} from "./xml-blocks.js";

export interface ImportOptions {
  fileset?: string | undefined;
  channel: "cli" | "api" | "watch";
  actor: string;
  /** The data dir holding `complete/`. */
  dataDir: string;
  /** Blocks applied per group; more is faster, fewer replays on a database refusal. */
  groupSize?: number;
  onProgress?: (progress: ImportProgressEvent) => void;
  /**
   * When an earlier import of this file (same name, fileset and channel) did not complete,
   * resume it instead of starting over (`serve --watch`, for a file a crash left in hand).
   */
  resumeUnfinished?: boolean;
  /**
   * Called when the import has recorded where its copy of the file is: from then on the import
   * holds the file, and `imports resume` can take it up whatever happens next. An error before
   * this call left nothing of the file anywhere (the database unreachable, a full disk).
   */
  onRecorded?: (importId: string) => void;
}

export interface ImportProgressEvent extends ImportProgress {
  bytesRead: number;
  totalBytes: number | null;
}

export interface ImportSummary {
  importId: string;
  file: string;
  fileset: string;
  total: number;
  succeeded: number;
  failed: number;
  warnings: number;
  byAction: ImportProgress["byAction"];
  /** The archived copy of the whole file; null when the file went to failed/ instead. */
  archivedPath: string | null;
  /** The whole file's copy in failed/, when it could not be read to its end. */
  failedFilePath: string | null;
  /** The failed blocks, as XML under the original root; null when none failed. */
  failuresPath: string | null;
  /** Set when the file itself could not be read to its end (malformed XML). */
  error: ImportStop | null;
  /** Blocks an earlier, interrupted run of this import applied: counted, not applied again. */
  resumedBlocks: number;
  /** How long this run took, from reading the file's copy to the import's end. */
  seconds: number;
}

export const DEFAULT_FILESET = "default";
const FILESET = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Whether `name` can name a fileset: 1-64 letters, digits, `.`, `_` or `-`, and no `..`. */
export const isFilesetName = (name: string): boolean => FILESET.test(name) && !name.includes("..");

function checkFileset(fileset: string): string {
  if (!isFilesetName(fileset)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Fileset ${JSON.stringify(fileset)} must be 1-64 letters, digits, '.', '_' or '-'.`,
      { fileset },
    );
  }
  return fileset;
}

export { failuresName };

/**
 * Removes what runs of imports of this file that died left in `complete/` (docs/import.md, "What
 * a crash leaves"), before the file is imported again: each import no live process runs.
 */
async function sweepDeadRuns(
  hub: Hub,
  fields: { fileName: string; fileset: string },
  dataDir: string,
): Promise<void> {
  for (const found of await hub.imports.ofFile(fields)) {
    if (!hasLeftovers(found, dataDir)) continue;
    await hub.imports.whileNotRunning(found.row.id, (now) => sweepLeftovers(now, dataDir));
  }
}

/** The summary of an import that completed earlier, as its run reported it. */
function summaryOfCompleted(row: ImportRow): ImportSummary {
  return {
    importId: row.id,
    file: row.fileName,
    fileset: row.fileset,
    total: row.total,
    succeeded: row.succeeded,
    failed: row.failed,
    warnings: row.warnings,
    byAction: row.byAction,
    archivedPath: row.archivedPath,
    failedFilePath: row.failedFilePath,
    failuresPath: row.failuresPath,
    error: row.error,
    resumedBlocks: row.total,
    seconds: 0,
  };
}

/** Whether two files hold the same bytes (sizes first, then SHA-256 digests, streamed). */
async function sameContent(a: string, b: string): Promise<boolean> {
  const size = (path: string): number | null => {
    try {
      return statSync(path).size;
    } catch {
      return null;
    }
  };
  if (size(a) === null || size(a) !== size(b)) return false;
  const digest = async (path: string): Promise<string> => {
    const hash = createHash("sha256");
    await pipeline(createReadStream(path), hash);
    return hash.digest("hex");
  };
  return (await digest(a)) === (await digest(b));
}

/** The longest file name kept, in UTF-8 bytes: file systems allow 255, and a suffix may follow. */
const MAX_NAME_BYTES = 200;

/**
 * The file's name as the batch file response names things; never a path. Letters of any script,
 * digits and spaces stay, so two files remain told apart (`Kunden März.xml`); path separators,
 * control characters and what Windows file names refuse become `_`.
 */
export function safeName(fileName: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  let name = basename(fileName.replace(/\\/g, "/")).replace(/[\u0000-\u001f\u007f:*?"<>|]/g, "_");
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const extension = extname(name).length <= 10 ? extname(name) : "";
    const stem = [...name.slice(0, name.length - extension.length)];
    while (Buffer.byteLength(stem.join("") + extension) > MAX_NAME_BYTES) stem.pop();
    name = stem.join("") + extension;
  }
  return name.trim() === "" || name.startsWith(".") ? `upload${name}` : name;
}

/**
 * Writes failed blocks, as well-formed XML inside the file's own root element, under a temporary
 * name: the file takes its name in failed/ only when it is whole (`publish`).
 */
class FailuresFile {
  private stream: WriteStream | undefined;
  readonly temporary: string;

  constructor(
    private readonly folder: string,
    private readonly fileName: string,
    private readonly importId: string,
    private readonly head: () => XmlFileHead | undefined,
  ) {
    this.temporary = temporaryPath(folder, failuresName(fileName), importId);
  }

  async add(source: string): Promise<void> {
    if (!this.stream) {
      const head = this.head();
      // A resumed run writes the file anew: what an earlier run wrote may be cut short.
      this.stream = createWriteStream(freshTemporary(this.temporary), { flags: "wx" });
      this.stream.write(
        `<?xml version="1.0" encoding="UTF-8"?>\n${head?.rootTag ?? "<Customers>"}\n`,
      );
    }
    if (!this.stream.write(`  ${source}\n`)) await once(this.stream, "drain");
  }

  /**
   * Ends the file and gives it its name, or puts it in the place of `earlier`, the file an
   * earlier run of the import wrote; null when no block failed, and there is none.
   */
  async close(earlier: string | null): Promise<string | null> {
    if (!this.stream) {
      if (earlier !== null) rmSync(earlier, { force: true });
      return null;
    }
    this.stream.end(`</${this.head()?.rootName ?? "Customers"}>\n`);
    await once(this.stream, "finish");
    return earlier !== null
      ? replace(this.temporary, earlier)
      : publish(this.temporary, this.folder, failuresName(this.fileName), this.importId);
  }

  /** Stops writing, for a run that stops unfinished: the next run writes the file anew. */
  async discard(): Promise<void> {
    if (this.stream) {
      this.stream.end();
      await finished(this.stream).catch(() => undefined);
    }
    rmSync(this.temporary, { force: true });
  }
}

/**
 * A block read and mapped, waiting for its group to be written. Its element tree is not kept:
 * a group is held while the one before it is written, and trees kept that long outlive the
 * garbage collector's young generation, which made collecting them most of an import's CPU.
 */
interface PendingBlock {
  block: Omit<XmlBlock, "element">;
  /** The block's action as the review names it; null when the block has none that is valid. */
  action: string | null;
  operation?: CustomerOperation;
  association?: CardAssociation;
  merge?: MergeRequest;
  parseError?: CusthubError;
  /** A block that could not be mapped: its identifying key as written, for the review. */
  writtenKey?: string | null;
}

/** What the review needs of a block's outcome: applied now, or by an earlier run (resumed). */
type Outcome =
  | {
      ok: true;
      customerID: string;
      validationIssues: readonly ValidationIssue[];
      /** What the block left undone though it succeeded: warned in the review. */
      notices?: readonly { code: string; message: string }[];
    }
  | { ok: false; error: CusthubError };

/**
 * Imports `input` — a file path, or a stream of the file's bytes (an upload) with its name.
 * Resolves with the summary; a file that cannot be read at all rejects.
 */
export async function importFile(
  hub: Hub,
  input: string | { stream: Readable; fileName: string },
  options: ImportOptions,
): Promise<ImportSummary> {
  const fileset = checkFileset(options.fileset ?? DEFAULT_FILESET);
  const fileName = safeName(typeof input === "string" ? input : input.fileName);
  if (typeof input === "string") {
    try {
      if (!statSync(input).isFile()) throw new Error("not a regular file");
    } catch (error) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `Cannot read ${input}: ${toError(error).message}.`,
        { file: input },
        { cause: error },
      );
    }
  }
  const archivedDir = join(options.dataDir, "complete", fileset, "archived");
  const failedDir = join(options.dataDir, "complete", fileset, "failed");
  mkdirSync(archivedDir, { recursive: true });
  mkdirSync(failedDir, { recursive: true });
  await sweepDeadRuns(hub, { fileName, fileset }, options.dataDir);

  if (options.resumeUnfinished && typeof input === "string") {
    const unfinished = await hub.imports.unfinished({
      fileName,
      fileset,
      channel: options.channel,
    });
    // Only the same file: an older import of another file by the same name is not resumed.
    if (unfinished !== null && (await sameContent(input, unfinished.sourcePath))) {
      return resumeImport(hub, unfinished.id, options);
    }
    // A crash after the import completed and before the file was let go: it is not imported again.
    const done = await hub.imports.completed({ fileName, fileset, channel: options.channel });
    if (done?.archivedPath && (await sameContent(input, done.archivedPath))) {
      return summaryOfCompleted(done);
    }
  }
  const claim = await hub.imports.start({ fileName, fileset, channel: options.channel });
  const { importId } = claim;
  // "A complete copy of the incoming request is placed in the /complete/[Fileset Name]/archived
  // directory" — copied first, then read from the copy, so an upload is read from disk once. The
  // copy takes its name only when it is whole: a crash mid-way leaves no archived file.
  const archiveTemporary = temporaryPath(archivedDir, fileName, importId);
  let archivedPath: string | undefined;
  const source = typeof input === "string" ? createReadStream(input) : input.stream;
  try {
    await pipeline(source, createWriteStream(archiveTemporary, { flags: "wx" }));
    archivedPath = publish(archiveTemporary, archivedDir, fileName, importId);
  } catch (error) {
    // An upload cut off mid-way, a full disk: nothing was applied; the import says why.
    discardNamed(archiveTemporary, { folder: archivedDir, name: fileName, importId });
    const message = `The file could not be received: ${toError(error).message}`;
    await hub.imports
      .finish(importId, {
        status: "failed",
        error: { code: "INVALID_REQUEST", message, line: null, column: null },
        archivedPath: null,
        failedFilePath: null,
        failuresPath: null,
      })
      .finally(() => claim.release());
    throw new CusthubError("INVALID_REQUEST", message, { file: fileName }, { cause: error });
  }
  // Where the failures are written; the file takes its name when it is whole, or the one with the
  // import id when another import's file has it by then (docs/import.md, "Name clashes").
  const failuresFile = temporaryPath(failedDir, failuresName(fileName), importId);
  try {
    await hub.imports.located(importId, { sourcePath: archivedPath, failuresFile });
  } catch (error) {
    // Unrecorded, the copy could never be resumed from: the caller keeps the file instead.
    rmSync(archivedPath, { force: true });
    rmSync(archiveTemporary, { force: true });
    await claim.release();
    throw error;
  }
  // Recorded: the copy's temporary name, kept till now as the trail of an unrecorded copy, goes.
  rmSync(archiveTemporary, { force: true });
  return runImport(
    hub,
    {
      claim,
      importId,
      fileName,
      fileset,
      sourcePath: archivedPath,
      failuresFile,
      applied: new Map(),
      earlierFailures: null,
      earlierFailedCopy: null,
    },
    options,
  );
}

/**
 * Resumes an import that did not complete (a crash, a kill, a lost database): reads its copy of
 * the file again from the start, counts the blocks the earlier run applied without applying them
 * again (the journal their transactions wrote), and applies the rest. Refused for an import that
 * completed, or one a live process is running (it holds the import's claim).
 */
export async function resumeImport(
  hub: Hub,
  importId: string,
  options: Omit<ImportOptions, "fileset" | "channel" | "resumeUnfinished">,
): Promise<ImportSummary> {
  const reopened = await hub.imports.reopen(importId);
  const { row } = reopened;
  try {
    // What the run that died left: this run writes it anew.
    sweepLeftovers(reopened, options.dataDir);
  } catch (error) {
    await reopened.claim.release();
    throw error;
  }
  return runImport(
    hub,
    {
      claim: reopened.claim,
      importId,
      fileName: row.fileName,
      fileset: row.fileset,
      sourcePath: reopened.sourcePath,
      failuresFile: reopened.failuresFile,
      applied: reopened.applied,
      // Written again by this run, in the same place: an import keeps one of each.
      earlierFailures:
        row.failuresPath ??
        // An import recorded by an earlier version took its failures file's name at its start.
        (isTemporaryPath(reopened.failuresFile) ? null : reopened.failuresFile),
      earlierFailedCopy: row.failedFilePath,
    },
    { ...options, channel: row.channel as ImportOptions["channel"] },
  );
}

/** One run of an import over its copy of the file (`sourcePath`). */
interface ImportRun {
  /** This process's claim on the import: released when the run ends. */
  claim: ImportClaim;
  importId: string;
  fileName: string;
  fileset: string;
  sourcePath: string;
  failuresFile: string;
  /** Blocks an earlier run applied (resumed runs); empty for a new import. */
  applied: ReadonlyMap<number, AppliedBlock>;
  /** The failures file and malformed file's copy an earlier run wrote: this run replaces them. */
  earlierFailures: string | null;
  earlierFailedCopy: string | null;
}

async function runImport(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  try {
    options.onRecorded?.(run.importId);
    return await runClaimed(hub, run, options);
  } finally {
    await run.claim.release();
  }
}

/** Runs a claimed import, counted in the process's metrics (`/metrics`) while under way. */
async function runClaimed(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  const started = performance.now();
  const ended = hub.metrics.importStarted();
  try {
    const summary = await applyFile(hub, run, options);
    ended(summary.error ? "failed" : "completed", summary.seconds);
    return summary;
  } catch (error) {
    ended("failed", (performance.now() - started) / 1000);
    throw error;
  }
}

async function applyFile(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  const { importId, fileName, fileset, applied } = run;
  const started = performance.now();
  const archivedPath: string = run.sourcePath;
  const failedDir = dirname(run.failuresFile);
  const totalBytes = statSync(archivedPath).size;

  let head: XmlFileHead | undefined;
  const failures = new FailuresFile(failedDir, fileName, importId, () => head);
  const progress: ImportProgress = { total: 0, succeeded: 0, failed: 0, warnings: 0, byAction: {} };
  const reader = createReadStream(archivedPath);
  let fileError: ImportSummary["error"] = null;
  let failedFilePath: string | null = null;

  const applyGroup = async (pending: PendingBlock[]): Promise<void> => {
    // Without its claim another run may start on the import: this one stops before it applies more.
    if (run.claim.lost.aborted) {
      throw new CusthubError(
        "IMPORT_INTERRUPTED",
        `Import ${importId} stopped: ${toError(run.claim.lost.reason).message} Another run may ` +
          `take it over now; ${resumeAdvice(importId)}`,
        { importId },
      );
    }
    const outcomes = await applyInOrder(
      hub,
      pending,
      {
        actor: options.actor,
        channel: "batch",
        importId,
      },
      applied,
    );
    const review: ReviewRow[] = [];
    for (const [at, item] of pending.entries()) {
      const outcome = outcomes[at]!;
      const row = await account(item, outcome, progress, failures);
      if (row) review.push(row);
      // A block an earlier run applied was counted by the process that applied it.
      if (applied.has(item.block.number)) continue;
      hub.metrics.importedBlock(
        item.action ?? "unknown",
        outcome.ok ? "succeeded" : "failed",
        outcome.ok && row !== null,
      );
    }
    await hub.imports.record(importId, progress, review);
    // The embedded database shares the process's memory: the group's garbage goes now.
    if (hub.db.kind === "pglite") boundHeap();
    options.onProgress?.({ ...progress, bytesRead: reader.bytesRead, totalBytes });
  };

  let pending: PendingBlock[] = [];
  // One group is written while the next is read and mapped: on a database server the two
  // overlap. Groups are still applied strictly one after another, in file order.
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const block of readBlocks(reader, (found) => (head = found))) {
      pending.push(parseBlock(block, head));
      if (pending.length >= (options.groupSize ?? GROUP_SIZE)) {
        const group = pending;
        pending = [];
        await writing;
        writing = applyGroup(group);
        // Keep an early failure from being reported as unhandled while the next group is read.
        writing.catch(() => undefined);
      }
    }
    await writing;
  } catch (error) {
    if (!(error instanceof XmlFileError)) {
      await writing.catch(() => undefined);
      reader.destroy();
      await failures.discard().catch(() => undefined);
      await hub.imports.finish(importId, {
        status: "failed",
        error: {
          code: isCusthubError(error) ? error.code : "GENERAL_ERROR",
          // The review's reader is not the server's operator: never the database's own words.
          message: isCusthubError(error)
            ? error.message
            : `The import stopped: ${failureWords(error)}. ${resumeAdvice(importId)}`,
          line: null,
          column: null,
        },
        archivedPath,
        failedFilePath: null,
        failuresPath: null,
      });
      throw error;
    }
    // Blocks read before the bad spot stand and are reported; the file goes to failed/.
    await writing;
    fileError = {
      code: error.code,
      message: error.message,
      line: error.line,
      column: error.column,
    };
  } finally {
    reader.destroy();
  }
  await applyGroup(pending);
  // The embedded database has no autovacuum, and a server's comes too late for the searches
  // right after a large import.
  await hub.customers.refreshStatistics(progress.succeeded - applied.size);
  const failedTemporary = temporaryPath(failedDir, fileName, importId);
  if (fileError) {
    // The file goes to failed/ (SPEC 4), and its archived copy stays: "A complete copy of the
    // incoming request is placed in the /complete/[Fileset Name]/archived directory" (seeds/003).
    copyFileSync(archivedPath, freshTemporary(failedTemporary), constants.COPYFILE_FICLONE);
    failedFilePath =
      run.earlierFailedCopy !== null
        ? replace(failedTemporary, run.earlierFailedCopy)
        : publish(failedTemporary, failedDir, fileName, importId);
  }
  const failuresPath = await failures.close(run.earlierFailures);
  await hub.imports.finish(importId, {
    status: fileError ? "failed" : "completed",
    error: fileError,
    archivedPath,
    failedFilePath,
    failuresPath,
  });
  // Recorded: the temporary names, kept till now as the trail of unrecorded files, go.
  rmSync(failures.temporary, { force: true });
  rmSync(failedTemporary, { force: true });
  return {
    importId,
    file: fileName,
    fileset,
    total: progress.total,
    succeeded: progress.succeeded,
    failed: progress.failed,
    warnings: progress.warnings,
    byAction: progress.byAction,
    archivedPath,
    failedFilePath,
    failuresPath,
    error: fileError,
    resumedBlocks: applied.size,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

function parseBlock(block: XmlBlock, head: XmlFileHead | undefined): PendingBlock {
  const { element, ...place } = block;
  const action = actionOf(element);
  try {
    // Each request names its block, journaled with its change (docs/import.md, "Interrupted imports").
    if (head?.root === "ActivateInstrumentCustomerRequest") {
      const association = cardAssociation(element);
      association.block = place.number;
      return { block: place, action, association };
    }
    if (action === "Merge") {
      const merge = mergeRequest(element);
      merge.block = place.number;
      return { block: place, action, merge };
    }
    const operation = customerOperation(element);
    operation.block = place.number;
    return { block: place, action, operation };
  } catch (error) {
    if (!isCusthubError(error)) throw error;
    return { block: place, action, parseError: error, writtenKey: writtenKeyOf(element, action) };
  }
}

/**
 * The key a block names its customer by, read from the elements as written (a block that could
 * not be mapped has no request to read it from): the `<Customer>` of an `<Instrument>`, a merge's
 * source or else its first target, or the block itself; its CustomerID, else its first alternate
 * key with a type and an id (an Add's CustomerID is ignored, as the Add ignores it).
 */
function writtenKeyOf(block: XmlElement, action: string | null): string | null {
  const targets = childNamed(block, "MergeTargetSet");
  const party =
    childNamed(block, "Customer") ??
    childNamed(block, "MergeSource") ??
    (targets && childNamed(targets, "MergeTarget")) ??
    // A target written outside its set: the block is refused, and still named by it.
    childNamed(block, "MergeTarget") ??
    block;
  const text = (parent: XmlElement | undefined, name: string): string =>
    (parent && childNamed(parent, name)?.text) || "";
  const keys = party.children.map((key) => ({
    typeCode: key.name === "AlternateKey" ? (key.attributes.TypeCode?.trim() ?? "") : "",
    // The example writes <AlternateID>; the merge's field table, <AlternateKey> inside it.
    alternateID: text(key, "AlternateID") || text(key, "AlternateKey"),
  }));
  const customerID = action === "Add" ? "" : text(party, "CustomerID") || text(party, "CustomerId");
  return reviewKey(customerID, keys);
}

/**
 * The group's outcomes, its blocks applied in file order: each run of customer operations
 * together (`applyBatch`), each card association and merge on its own between them, so a block
 * after a merge sees the merge done.
 */
async function applyInOrder(
  hub: Hub,
  pending: readonly PendingBlock[],
  context: ChangeContext,
  applied: ReadonlyMap<number, AppliedBlock>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(pending.length);
  let run: number[] = [];
  const applyRun = async (): Promise<void> => {
    if (run.length === 0) return;
    const results = await hub.customers.applyBatch(
      run.map((at) => pending[at]!.operation!),
      context,
    );
    run.forEach((at, index) => (outcomes[at] = results[index]!));
    run = [];
  };
  for (const [at, item] of pending.entries()) {
    const earlier = applied.get(item.block.number);
    if (earlier) {
      // An earlier run of this import applied it: counted as it went then, not applied again.
      outcomes[at] = {
        ok: true,
        customerID: earlier.customerID,
        validationIssues: earlier.warnings ?? [],
      };
    } else if (item.operation) {
      run.push(at);
    } else if (item.association) {
      await applyRun();
      outcomes[at] = await associate(hub, item.association, context);
    } else if (item.merge) {
      await applyRun();
      outcomes[at] = await merge(hub, item.merge, context);
    } else {
      outcomes[at] = { ok: false, error: item.parseError! };
    }
  }
  await applyRun();
  return outcomes;
}

/** Card associations are few and each locks its card: one transaction each, in file order. */
async function associate(
  hub: Hub,
  association: CardAssociation,
  context: ChangeContext,
): Promise<Outcome> {
  try {
    const record = await hub.cards.associate(association, context);
    return { ok: true, customerID: record.customerID, validationIssues: [] };
  } catch (error) {
    return refusedBlock(error);
  }
}

/** A merge touches several customers and their cards: one transaction each, in file order. */
async function merge(hub: Hub, request: MergeRequest, context: ChangeContext): Promise<Outcome> {
  try {
    const merged = await hub.customers.merge(request, context);
    // Customers the Customer Merge Override left out are the review's to tell: a file has no
    // other answer.
    const notices = merged.skipped.map((skipped) => ({
      code: "MERGE_PARTY_SKIPPED",
      message: `The Customer Merge Override left out the ${
        skipped.customerID ? `${skipped.role} (CustomerID ${skipped.customerID})` : skipped.named
      }: ${skipped.reason}.`,
    }));
    return { ok: true, customerID: merged.customerID, validationIssues: [], notices };
  } catch (error) {
    return refusedBlock(error);
  }
}

/**
 * The outcome of a block the service refused, or the database refused the data of (a value it
 * cannot hold, a constraint): the block fails alone, in custhub's words. Any other failure (the
 * database lost, a bug) is rethrown: it stops the import, which `imports resume` takes up.
 */
function refusedBlock(error: unknown): Outcome {
  if (!isCusthubError(error) && !refusedTheData(error)) throw error;
  return { ok: false, error: savingFailed(error) };
}

/** Counts one block's outcome; returns its review row when it failed or warned. */
async function account(
  item: PendingBlock,
  outcome: Outcome,
  progress: ImportProgress,
  failures: FailuresFile,
): Promise<ReviewRow | null> {
  const action = item.action;
  const counts = (progress.byAction[action ?? "unknown"] ??= { succeeded: 0, failed: 0 });
  progress.total += 1;
  const base = { blockNumber: item.block.number, line: item.block.line, action, key: keyOf(item) };
  if (!outcome.ok) {
    progress.failed += 1;
    counts.failed += 1;
    await failures.add(item.block.source);
    return {
      ...base,
      outcome: "failed",
      errorCodes: reviewCodes(action, outcome.error.code),
      message: outcome.error.message,
    };
  }
  progress.succeeded += 1;
  counts.succeeded += 1;
  const notWritten = valuesNotWritten(outcome.validationIssues);
  const notices = outcome.notices ?? [];
  const codes = [
    ...(item.block.emptyTags.length > 0 ? ["EMPTY_XML_TAG"] : []),
    ...notWritten.map((issue) => issue.code),
    ...new Set(notices.map((notice) => notice.code)),
  ];
  if (codes.length === 0) return null;
  progress.warnings += 1;
  const messages = [
    ...(item.block.emptyTags.length > 0
      ? [`Empty XML tags: ${[...new Set(item.block.emptyTags)].join(", ")}.`]
      : []),
    ...notWritten.map((issue) => issue.message),
    ...notices.map((notice) => notice.message),
  ];
  return {
    ...base,
    // The customer the block wrote, in the form the failed rows name a customer by.
    key: `CustomerID:${outcome.customerID}`,
    outcome: "warning",
    errorCodes: codes,
    message: messages.join(" "),
  };
}

function actionOf(element: XmlElement): string | null {
  if (element.name === "Instrument") return "CardCustomerAssociation";
  try {
    return blockAction(element);
  } catch {
    return null;
  }
}

/** What identifies the block's customer for a person reading the review: an id or a key. */
function keyOf(item: PendingBlock): string | null {
  if (item.parseError) return item.writtenKey ?? null;
  if (item.merge) {
    const party = item.merge.source ?? item.merge.targets[0];
    return reviewKey(party?.customerID, party?.alternateKey ? [party.alternateKey] : []);
  }
  if (item.association) {
    const { customerID, alternateKey } = item.association;
    return reviewKey(customerID, alternateKey ? [alternateKey] : []);
  }
  const operation = item.operation;
  if (!operation) return null;
  // An Add ignores a CustomerID in the file (seeds/003): naming it would name another customer.
  const { request } = operation;
  return reviewKey(
    operation.action === "Add" ? null : request.customerID,
    request.alternateKeys ?? [],
  );
}

/** A customer as the review names it: `CustomerID:N`, else its first whole key's `TYPE:ID`. */
function reviewKey(
  customerID: string | null | undefined,
  keys: readonly { typeCode?: string | null; alternateID?: string | null }[],
): string | null {
  if (customerID) return `CustomerID:${customerID}`;
  const key = keys.find((candidate) => candidate.typeCode && candidate.alternateID);
  return key ? `${key.typeCode}:${key.alternateID}` : null;
}
