/**
 * `custhub sync run [--once]`, `sync sample`, `sync status`, `sync dead-letters list|requeue`
 * (SPEC 10). The CLI acts as `sysadmin`: it runs on the machine, with the rights of the data
 * dir's owner, who could read the database and the key file anyway.
 */
import { InvalidArgumentError, type Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import type { Actor } from "../../domain/roles.js";
import type { Hub } from "../../services/hub.js";
import {
  DataSync,
  type DeadLetter,
  type JobRun,
  type SampleAnswer,
  type SyncStatus,
} from "../../sync/data-sync.js";
import { masterKeyFileOf } from "../../sync/secrets/master-key.js";
import type { SyncLogger } from "../../sync/types.js";
import { configOf, withHub } from "../context.js";
import { io } from "../io.js";
import { EXIT, fail, printResult, setExitCode, table } from "../output.js";

export const cliActor: Actor = { name: "the custhub CLI", roles: ["sysadmin"] };

interface JsonOption {
  json?: boolean;
}

/** The data sync on the hub, with the master key of the environment or the data dir. */
export function openDataSync(hub: Hub, command: Command, logger?: SyncLogger): DataSync {
  const config = configOf(command);
  return new DataSync(hub, {
    masterKey: {
      fromEnvironment: config.masterKey,
      keyFile: masterKeyFileOf(config.dataDir),
    },
    ...(logger ? { logger } : {}),
  });
}

/** Dead letters for people: one row each, the error cut to a line. */
export function deadLetterTable(
  letters: readonly DeadLetter[],
  options: { objectColumn?: boolean } = {},
): string {
  if (letters.length === 0) return "no dead letters";
  const objectColumn = options.objectColumn ?? true;
  return table(
    [
      "ID",
      "UNIQUE ID",
      ...(objectColumn ? ["OBJECT"] : []),
      "ACTION",
      "KEY",
      "ATTEMPTS",
      "STATUS",
      "DEAD SINCE",
      "LAST ERROR",
    ],
    letters.map((letter) => [
      letter.id,
      letter.messageId,
      ...(objectColumn ? [letter.objName] : []),
      letter.action,
      letter.uniqueId,
      String(letter.attempts),
      letter.lastStatus === null ? "-" : String(letter.lastStatus),
      letter.deadAt,
      (letter.lastError ?? "").slice(0, 80),
    ]),
  );
}

/**
 * Warnings for people on stderr; nothing with --json, where stdout carries the one document. A
 * failed delivery is named by its message, customer, status and code, as the logs name it (the
 * receiver's words are in `dead-letters list`); a run that could not start, by why (`error`).
 */
function stderrLogger(options: JsonOption): SyncLogger | undefined {
  if (options.json) return undefined;
  const line = (level: string) => (fields: Record<string, unknown>, message: string) => {
    const { messageId, customerID, status, code, error } = fields;
    const parts = [
      messageId === undefined ? null : `message ${String(messageId)}`,
      typeof customerID === "string" ? `customer ${customerID}` : null,
      typeof status === "number" ? `HTTP ${status}` : null,
      typeof code === "string" ? code : null,
    ].filter((part) => part !== null);
    const context = parts.length === 0 ? "" : ` (${parts.join(", ")})`;
    const why = typeof error === "string" ? `: ${error}` : "";
    io().stderr.write(`${level}: ${message}${why}${context}\n`);
  };
  return { info: () => undefined, warn: line("warning"), error: line("error") };
}

function describeRun(run: JobRun): string {
  const counts = `moved ${run.moved}, delivered ${run.delivered}, failed ${run.failed}, dead-lettered ${run.deadLettered}`;
  return `run ${run.id} ${run.outcome}: ${counts}${run.error ? `\n  ${run.error}` : ""}`;
}

function describeStatus(status: SyncStatus): string {
  const credentials = status.credentials
    ? status.credentials.saved
      ? `saved in ${status.credentials.mapName}/${status.credentials.keyName} (${status.credentials.updatedAt})`
      : `not saved (${status.credentials.mapName}/${status.credentials.keyName})`
    : "DataSyncCredentialKeyName is not set";
  const queues = status.queues;
  // DataSyncCron, when set, replaces the interval (src/sync/scheduler.ts).
  const schedule =
    status.cron === null
      ? `a run every ${status.intervalSeconds} s`
      : `runs at cron \`${status.cron}\` (UTC)`;
  return [
    `data sync:    ${status.enabled ? "enabled" : "disabled"}, ${schedule} in \`custhub serve\``,
    `endpoint:     ${status.apiUrl ?? "(DataSyncApiUrl not set)"}`,
    `token:        ${status.tokenUrl ?? "(DataSyncTokenUrl not set)"}`,
    `credentials:  ${credentials}`,
    `pending:      ${queues.customerPending} customer, ${queues.transactionPending} transaction`,
    `progress:     ${queues.progress} (${queues.inFlight} in flight, ${queues.retrying} waiting to retry)`,
    `dead letters: ${queues.deadLetters}`,
    ...(status.pause
      ? [`paused:       until ${status.pause.pausedUntil}: ${status.pause.reason}`]
      : []),
    "",
    status.lastRuns.length === 0
      ? "no runs yet"
      : table(
          ["RUN", "STARTED", "TRIGGER", "OUTCOME", "MOVED", "DELIVERED", "FAILED", "DEAD", "ERROR"],
          status.lastRuns.map((run) => [
            run.id,
            run.startedAt,
            run.trigger,
            run.outcome,
            String(run.moved),
            String(run.delivered),
            String(run.failed),
            String(run.deadLettered),
            (run.error ?? "").slice(0, 80),
          ]),
        ),
  ].join("\n");
}

function describeSample(answer: SampleAnswer): string {
  return `the receiver answered ${answer.status}${answer.accepted ? " (accepted)" : " (not accepted)"}\n${answer.body}`;
}

function pageSize(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 10_000)
    throw new InvalidArgumentError("needs a whole number 1-10000.");
  return number;
}

export function registerSync(program: Command): void {
  const sync = program
    .command("sync")
    .description("the data-sync job (seeds/001): run it, test it, watch it");

  sync
    .command("run")
    .option(
      "--once",
      "one run, then exit (without it: runs every DataSyncIntervalSeconds, or at DataSyncCron's times, until SIGINT/SIGTERM)",
    )
    .option("--json", "print one JSON document")
    .description("deliver the queued changes to DataSyncApiUrl; exit 1 when a run failed")
    .action(async (options: JsonOption & { once?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const dataSync = openDataSync(hub, command, stderrLogger(options));
        if (options.once) {
          const run = await dataSync.runOnce(cliActor);
          printResult(options, run, () => describeRun(run));
          if (run.outcome === "failed") setExitCode(EXIT.failed);
          return;
        }
        await runUntilSignalled(dataSync, options);
      });
    });

  sync
    .command("sample")
    .option("--json", "print one JSON document")
    .description("Send Sample Message: POST the document's sample with the saved credentials")
    .action(async (options: JsonOption, command: Command) => {
      await withHub(command, options, async (hub) => {
        const answer = await openDataSync(hub, command).sendSample(cliActor);
        printResult(options, answer, () => describeSample(answer));
        if (!answer.accepted) setExitCode(EXIT.failed);
      });
    });

  sync
    .command("status")
    .option("--json", "print one JSON document")
    .description("settings, queue depths, the last runs and the dead letters count")
    .action(async (options: JsonOption, command: Command) => {
      await withHub(command, options, async (hub) => {
        const status = await openDataSync(hub, command).status(cliActor);
        printResult(options, status, () => describeStatus(status));
      });
    });

  const deadLetters = sync
    .command("dead-letters")
    .description("messages that failed DataSyncMaxAttempts times");
  deadLetters
    .command("list")
    .option("--limit <n>", "dead letters to show (default 100)", pageSize)
    .option("--json", "print one JSON document")
    .description("list the dead letters, oldest first")
    .action(async (options: JsonOption & { limit?: number }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const letters = await openDataSync(hub, command).deadLetters(
          cliActor,
          options.limit ?? 100,
        );
        printResult(options, letters, () => deadLetterTable(letters));
      });
    });
  deadLetters
    .command("requeue")
    .argument("[ids...]", "dead-letter ids (from `dead-letters list`)")
    .option("--all", "every dead letter")
    .option("--json", "print one JSON document")
    .description(
      "put dead letters back in the progress queue, ahead of their customers' newer messages, attempts reset",
    )
    .action(async (ids: string[], options: JsonOption & { all?: boolean }, command: Command) => {
      const selected = requeueSelection(ids, options);
      if (selected === undefined) return;
      await withHub(command, options, async (hub) => {
        const result = await openDataSync(hub, command).requeue(cliActor, selected);
        printResult(options, result, () => `re-queued ${result.requeued} dead letter(s)`);
      });
    });
}

/** What a `sync run` loop did, printed when it is stopped. */
interface LoopSummary {
  runs: number;
  failedRuns: number;
  delivered: number;
  failed: number;
  deadLettered: number;
  lastRun: JobRun | null;
}

/** `sync run` without --once: the schedule of `serve`, without the HTTP server. */
async function runUntilSignalled(dataSync: DataSync, options: JsonOption): Promise<void> {
  const runs: JobRun[] = [];
  const scheduler = dataSync.startScheduler(cliActor, (run) => {
    runs.push(run);
    // A run every second or minute that found nothing is not news.
    const didSomething = run.moved + run.delivered + run.failed > 0 || run.outcome !== "succeeded";
    if (!options.json && didSomething) io().stdout.write(`${describeRun(run)}\n`);
  });
  await io().stopRequested();
  await scheduler.stop();
  const total = (key: "delivered" | "failed" | "deadLettered"): number =>
    runs.reduce((sum, run) => sum + run[key], 0);
  const summary: LoopSummary = {
    runs: runs.length,
    failedRuns: runs.filter((run) => run.outcome === "failed").length,
    delivered: total("delivered"),
    failed: total("failed"),
    deadLettered: total("deadLettered"),
    lastRun: runs.at(-1) ?? null,
  };
  printResult(options, summary, () => describeLoop(summary));
  // README: exit 1 when a run failed; a loop's earlier failure is not undone by later runs.
  if (summary.failedRuns > 0) setExitCode(EXIT.failed);
}

function describeLoop(summary: LoopSummary): string {
  const runs = `${summary.runs} run${summary.runs === 1 ? "" : "s"}`;
  return `stopped after ${runs} (${summary.failedRuns} failed): delivered ${summary.delivered}, failed ${summary.failed}, dead-lettered ${summary.deadLettered}`;
}

/**
 * The dead letters a `requeue` names: its ids, or "all" with `--all`; undefined (the refusal
 * printed, exit code set) for both or neither.
 */
export function requeueSelection(
  ids: string[],
  options: JsonOption & { all?: boolean },
): string[] | "all" | undefined {
  if (ids.length > 0 === (options.all === true)) {
    fail(
      options,
      new CusthubError(
        "INVALID_REQUEST",
        "Give dead-letter ids or --all, not both and not neither.",
        {},
      ),
    );
    return undefined;
  }
  return options.all ? "all" : ids;
}
