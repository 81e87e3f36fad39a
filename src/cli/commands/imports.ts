import cliProgress from "cli-progress";
import { importFile } from "../../ingest/import-file.js";
import type { ImportProgressEvent, ImportSummary } from "../../ingest/import-run.js";
import { resumeImport } from "../../ingest/resume-import.js";
import type { Hub } from "../../services/hub.js";
import { reviewJson, type ImportRow, type ReviewRow } from "../../services/imports.js";
import { InvalidArgumentError, type Command } from "commander";
import { configOf, withHub } from "../context.js";
import { importIdArgument } from "../customer-id.js";
import { io } from "../io.js";
import {
  EXIT,
  errorBody,
  printResult,
  reportFailure,
  setExitCode,
  table,
  tableLine,
  widen,
  writeOut,
  type ErrorBody,
} from "../output.js";

interface ImportCommandOptions {
  fileset?: string;
  json?: boolean;
}

/** A progress bar on stderr while a person watches; nothing when output goes to a file or pipe. */
function progressBar(file: string): { update(event: ImportProgressEvent): void; stop(): void } {
  const stream = io().stderr;
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${file} [{bar}] {percentage}% | {blocks} blocks | {rate} blocks/s | {failed} failed`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { blocks: 0, rate: 0, failed: 0 });
  return {
    update(event) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const percentage = event.totalBytes
        ? Math.min(100, Math.round((event.bytesRead / event.totalBytes) * 100))
        : 0;
      bar.update(percentage, {
        blocks: event.total,
        rate: Math.round(event.total / seconds),
        failed: event.failed,
      });
    },
    stop: () => bar.stop(),
  };
}

/** "840 ms" under a second, where tenths of a second would say 0.0; "12.3 s" from there. */
const duration = (seconds: number): string =>
  seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;

/** "1 block", "2 blocks". */
const blocks = (count: number): string => `${count} block${count === 1 ? "" : "s"}`;

function humanSummary(summary: ImportSummary): string {
  const rate = summary.seconds > 0 ? Math.round(summary.total / summary.seconds) : summary.total;
  const lines = [
    `${summary.file} (fileset ${summary.fileset}, import ${summary.importId}): ${blocks(summary.total)}, ` +
      `${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.warnings} with warnings`,
    `  took ${duration(summary.seconds)} (${rate.toLocaleString("en-US")} blocks/s)`,
    ...Object.entries(summary.byAction).map(
      ([action, counts]) => `  ${action}: ${counts.succeeded} succeeded, ${counts.failed} failed`,
    ),
  ];
  if (summary.resumedBlocks > 0) {
    lines.push(`  resumed: ${blocks(summary.resumedBlocks)} applied by the interrupted run`);
  }
  if (summary.error) lines.push(`  stopped: ${summary.error.message}`);
  if (summary.archivedPath) lines.push(`  archived: ${summary.archivedPath}`);
  // A copy: the file named on the command line stays where it is.
  if (summary.failedFilePath) lines.push(`  whole file copied to: ${summary.failedFilePath}`);
  if (summary.failuresPath) lines.push(`  failures: ${summary.failuresPath}`);
  return lines.join("\n");
}

const REVIEW_COLUMNS = ["BLOCK", "LINE", "ACTION", "KEY", "OUTCOME", "CODES", "MESSAGE"];

const reviewCells = (row: ReviewRow): string[] => [
  String(row.blockNumber),
  String(row.line),
  row.action ?? "",
  row.key ?? "",
  row.outcome,
  row.errorCodes.join(","),
  row.message,
];

/**
 * Prints an import's review as its rows are read, a page at a time: a million failed blocks are
 * printed without being held (the table's widths are taken in a first reading of the rows).
 */
async function printReview(hub: Hub, id: string, options: { json?: boolean }): Promise<void> {
  const row = await hub.imports.get(id);
  if (options.json) {
    for await (const piece of reviewJson(row, hub.imports.rows(id), 2)) await writeOut(piece);
    await writeOut("\n");
    return;
  }
  await writeOut(`${humanImportRow(row)}\n`);
  // A file that stopped part-way says why, before the rows of the blocks read until then.
  if (row.error) await writeOut(`stopped: ${row.error.message}\n`);
  const widths = REVIEW_COLUMNS.map((column) => column.length);
  for await (const review of hub.imports.rows(id)) widen(widths, reviewCells(review));
  await writeOut(`${tableLine(widths, REVIEW_COLUMNS)}\n`);
  for await (const review of hub.imports.rows(id)) {
    await writeOut(`${tableLine(widths, reviewCells(review))}\n`);
  }
}

function humanImportRow(row: ImportRow): string {
  return `import ${row.id}: ${row.fileName} (fileset ${row.fileset}) ${row.status}, ${blocks(row.total)}, ${row.succeeded} succeeded, ${row.failed} failed, ${row.warnings} warned`;
}

/** `imports list --limit`: as many as `GET /api/v1/imports?limit=` takes. */
function listLimit(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 500)
    throw new InvalidArgumentError("needs a whole number 1-500.");
  return number;
}

export function registerImports(program: Command): void {
  program
    .command("import")
    .argument("<files...>", "batch XML files (<Customers> or <ActivateInstrumentCustomerRequest>)")
    .option("--fileset <name>", "the fileset the files belong to (default: default)")
    .option("--json", "print one JSON document: the summary, or an array of them for several files")
    .description(
      "import batch files; exit 0 all blocks succeeded, 1 some failed, 2 a file could not be read or parsed",
    )
    .action(async (files: string[], options: ImportCommandOptions, command: Command) => {
      await withHub(
        command,
        options,
        async (hub) => {
          const { dataDir } = configOf(command);
          // With --json, a file that could not be read stands in the array as {file, error}.
          const summaries: (ImportSummary | { file: string; error: ErrorBody })[] = [];
          let exitCode: number = EXIT.ok;
          for (const file of files) {
            const bar = progressBar(file);
            try {
              const summary = await importFile(hub, await io().openInput(file), {
                fileset: options.fileset,
                channel: "cli",
                actor: "cli",
                dataDir,
                onProgress: (event) => bar.update(event),
              });
              summaries.push(summary);
              if (summary.error) exitCode = EXIT.usage;
              else if (summary.failed > 0 && exitCode === EXIT.ok) exitCode = EXIT.failed;
              bar.stop();
              if (!options.json) io().stdout.write(`${humanSummary(summary)}\n`);
            } catch (error) {
              bar.stop();
              // A file that cannot be read at all: report it, go on with the others, exit 2.
              if (files.length === 1) throw error;
              reportFailure({}, error);
              summaries.push({ file, error: errorBody(error) });
              exitCode = EXIT.usage;
            }
          }
          if (options.json)
            io().stdout.write(
              `${JSON.stringify(files.length === 1 ? summaries[0] : summaries, null, 2)}\n`,
            );
          setExitCode(exitCode);
        },
        // Nothing imported (the data dir in use, the database out of reach, a file unreadable):
        // exit 2, as for a file that could not be read; 1 says some blocks failed.
        EXIT.usage,
      );
    });

  const imports = program.command("imports").description("the batch import review");
  imports
    .command("list")
    .option("--limit <n>", "how many, newest first (1-500, default 50)", listLimit)
    .option("--json", "print one JSON document")
    .description("list the imports, newest first")
    .action(async (options: { limit?: number; json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const rows = await hub.imports.list(options.limit);
        printResult(options, rows, () =>
          table(
            ["ID", "FILE", "FILESET", "STATUS", "STARTED", "TOTAL", "OK", "FAILED", "WARNED"],
            rows.map((row) => [
              row.id,
              row.fileName,
              row.fileset,
              row.status,
              row.startedAt.toISOString(),
              String(row.total),
              String(row.succeeded),
              String(row.failed),
              String(row.warnings),
            ]),
          ),
        );
      });
    });
  imports
    .command("show")
    .argument("<id>", "the import's id", importIdArgument)
    .option("--json", "print one JSON document")
    .description("one import with a row per failed or warned block")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, (hub) => printReview(hub, id, options));
    });
  imports
    .command("resume")
    .argument("<id>", "the import's id", importIdArgument)
    .option("--json", "print one JSON document: the summary")
    .description(
      "apply the rest of an import that did not complete; blocks it applied are not applied again",
    )
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const { dataDir } = configOf(command);
        const bar = progressBar(`import ${id}`);
        let summary: ImportSummary;
        try {
          summary = await resumeImport(hub, id, {
            actor: "cli",
            dataDir,
            onProgress: (event) => bar.update(event),
          });
        } finally {
          bar.stop();
        }
        printResult(options, summary, () => humanSummary(summary));
        setExitCode(summary.error ? EXIT.usage : summary.failed > 0 ? EXIT.failed : EXIT.ok);
      });
    });
}
