/**
 * `custhub destinations list|enable|disable|config|credentials|run|runs|dead-letters|requeue`
 * (SPEC 7): every destination of the change stream, driven as `sync` drives the data-sync
 * endpoint. The CLI acts as `sysadmin` (see sync.ts). Secret credential fields not given with
 * `--field` are read from stdin, as `credentials set` reads the client secret.
 */
import { InvalidArgumentError, type Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import type { Hub } from "../../services/hub.js";
import type {
  DestinationConfigView,
  DestinationService,
  DestinationSummary,
} from "../../sync/destinations-service.js";
import type { DestinationRunReport } from "../../sync/destination-runs.js";
import { destinationNamed } from "../../sync/destinations/index.js";
import type { JobRun } from "../../sync/data-sync.js";
import { withHub } from "../context.js";
import { customerIdArgument } from "../customer-id.js";
import { io } from "../io.js";
import { EXIT, fail, printResult, setExitCode, table } from "../output.js";
import { cliActor, deadLetterTable, openDataSync, requeueSelection } from "./sync.js";

interface JsonOption {
  json?: boolean;
}

export function openDestinations(hub: Hub, command: Command): DestinationService {
  return openDataSync(hub, command).destinations;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function pageSize(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 1000)
    throw new InvalidArgumentError("needs a whole number 1-1000.");
  return number;
}

function describeList(destinations: readonly DestinationSummary[]): string {
  const paused = destinations.flatMap((item) =>
    item.pause
      ? [`${item.name} is paused until ${item.pause.pausedUntil}: ${item.pause.reason}`]
      : [],
  );
  return [describeTable(destinations), ...paused].join("\n");
}

function describeTable(destinations: readonly DestinationSummary[]): string {
  return table(
    ["NAME", "ENABLED", "QUEUED", "IN FLIGHT", "FAILING", "DEAD", "LAST RUN"],
    destinations.map((item) => [
      item.name,
      item.enabled ? "yes" : "no",
      String(item.queueDepth),
      String(item.inFlight),
      String(item.failing),
      String(item.deadLetters),
      item.lastRun
        ? `${item.lastRun.startedAt} ${item.lastRun.outcome} (${item.lastRun.delivered} sent, ${item.lastRun.failed} failed)`
        : "-",
    ]),
  );
}

function describeConfig(view: DestinationConfigView): string {
  const credentials =
    view.credentialFields.length === 0
      ? "none of its own"
      : view.credentials?.saved
        ? `saved in ${view.credentials.mapName}/${view.credentials.keyName} (${view.credentials.updatedAt})`
        : `not saved (fields: ${view.credentialFields.map((field) => field.name).join(", ")})`;
  return [
    `${view.name}: ${view.enabled ? "enabled" : "disabled"}`,
    table(
      ["KEY", "VALUE", "DEFAULT", "MEANING"],
      view.settings.map((setting) => [
        setting.key,
        setting.value ?? "-",
        setting.defaultValue ?? "-",
        setting.description,
      ]),
    ),
    `credentials: ${credentials}`,
    ...(view.problem ? [`not usable yet: ${view.problem}`] : []),
  ].join("\n");
}

function describeRun(run: JobRun): string {
  const counts = `moved ${run.moved}, delivered ${run.delivered}, failed ${run.failed}, dead-lettered ${run.deadLettered}`;
  return `${run.destination} run ${run.id} ${run.outcome}: ${counts}${run.error ? `\n  ${run.error}` : ""}`;
}

function describeReport(report: DestinationRunReport): string {
  const lines = [describeRun(report.run)];
  if (report.customers) {
    lines.push(
      table(
        ["CUSTOMER", "ACTION", "RESULT", "STATUS", "ERROR"],
        report.customers.map((item) => [
          item.customerID,
          item.action ?? "-",
          item.outcome,
          item.status === null ? "-" : String(item.status),
          item.error ?? "",
        ]),
      ),
    );
  } else if (report.results.length > 0) {
    lines.push(
      table(
        ["KEY", "ACTION", "MESSAGE", "RESULT", "STATUS", "ERROR"],
        report.results.map((item) => [
          item.uniqueId,
          item.action,
          item.messageId,
          item.outcome,
          item.status === null ? "-" : String(item.status),
          (item.error ?? "").slice(0, 100),
        ]),
      ),
    );
  }
  return lines.join("\n");
}

/** `--field name=value` pairs; the name is what the destination's credential fields call it. */
function parseFields(pairs: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `--field takes name=value, not ${JSON.stringify(pair)}.`,
        {
          field: "field",
        },
      );
    }
    fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return fields;
}

export function registerDestinations(program: Command): void {
  const destinations = program
    .command("destinations")
    .description("the destinations of the change stream: data sync, Datanuum, NewBase, SocialHub");

  destinations
    .command("list")
    .option("--json", "print one JSON document")
    .description("every destination: enabled, queue depth, failures, dead letters, last run")
    .action(async (options: JsonOption, command: Command) => {
      await withHub(command, options, async (hub) => {
        const list = await openDestinations(hub, command).list(cliActor);
        printResult(options, list, () => describeList(list));
      });
    });

  destinations
    .command("resume")
    .argument("<name>", "the destination")
    .option("--json", "print one JSON document")
    .description(
      "end a pause its receiver asked for (a 429, a 503 with Retry-After) now: the next run sends",
    )
    .action(async (name: string, options: JsonOption, command: Command) => {
      await withHub(command, options, async (hub) => {
        const summary = await openDestinations(hub, command).resume(cliActor, name);
        printResult(options, summary, () => `${summary.name} resumed`);
      });
    });

  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    destinations
      .command(verb)
      .argument("<name>", "the destination")
      .option("--json", "print one JSON document")
      .description(
        enabled
          ? "queue every change for it and deliver on the schedule"
          : "stop queueing and delivering (its queue is kept)",
      )
      .action(async (name: string, options: JsonOption, command: Command) => {
        await withHub(command, options, async (hub) => {
          const summary = await openDestinations(hub, command).setEnabled(cliActor, name, enabled);
          printResult(
            options,
            summary,
            () => `${summary.name} ${enabled ? "enabled" : "disabled"}`,
          );
        });
      });
  }

  destinations
    .command("config")
    .argument("<name>", "the destination")
    .argument("[key]", "a setting to change")
    .argument("[value]", 'its new value ("" restores the default)')
    .option("--json", "print one JSON document")
    .description("show a destination's settings, or change one (checked before it is saved)")
    .action(
      async (
        name: string,
        key: string | undefined,
        value: string | undefined,
        options: JsonOption,
        command: Command,
      ) => {
        if (key !== undefined && value === undefined) {
          fail(
            options,
            new CusthubError("INVALID_REQUEST", `Give the value for ${key} ("" for the default).`, {
              field: "value",
            }),
          );
          return;
        }
        await withHub(command, options, async (hub) => {
          const service = openDestinations(hub, command);
          const view =
            key === undefined
              ? await service.config(cliActor, name)
              : await service.setConfig(cliActor, name, key, value ?? null);
          printResult(options, view, () => describeConfig(view));
        });
      },
    );

  destinations
    .command("credentials")
    .argument("<name>", "the destination")
    .option(
      "--field <name=value>",
      "a credential field (repeat); secret ones not given are read from stdin",
      collect,
    )
    .option("--json", "print one JSON document")
    .description("save a destination's credentials, sealed under the master key (sysadmin)")
    .action(async (name: string, options: JsonOption & { field?: string[] }, command: Command) => {
      let fields: Record<string, string>;
      try {
        // Read before the database opens: a person typing must not hold the data dir meanwhile.
        fields = parseFields(options.field ?? []);
        for (const spec of destinationNamed(name).credentialFields) {
          if (spec.secret && fields[spec.name] === undefined) {
            fields[spec.name] = await io().readSecret(`${name} ${spec.name}: `);
          }
        }
      } catch (error) {
        fail(options, error);
        return;
      }
      await withHub(command, options, async (hub) => {
        const saved = await openDestinations(hub, command).saveCredentials(cliActor, name, fields);
        printResult(
          options,
          saved,
          () => `saved the ${name} credentials in ${saved.mapName}/${saved.keyName}`,
        );
      });
    });

  destinations
    .command("run")
    .argument("<name>", "the destination")
    .option(
      "--customer <id>",
      "send this customer's current record now (repeat); works while the destination is disabled",
      (value: string, previous?: string[]) => collect(customerIdArgument(value), previous),
    )
    .option("--json", "print one JSON document")
    .description("deliver now and print what each delivery did; exit 1 when anything failed")
    .action(
      async (name: string, options: JsonOption & { customer?: string[] }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const report = await openDestinations(hub, command).run(cliActor, name, {
            ...(options.customer ? { customers: options.customer } : {}),
          });
          printResult(options, report, () => describeReport(report));
          const customerFailed = report.customers?.some(
            (item) => item.outcome !== "sent" && item.outcome !== "skipped",
          );
          if (report.run.outcome === "failed" || customerFailed) setExitCode(EXIT.failed);
        });
      },
    );

  destinations
    .command("runs")
    .argument("<name>", "the destination")
    .argument("[run]", "one run's id: show the results it kept")
    .option("--limit <n>", "runs to show (default 20)", pageSize)
    .option("--json", "print one JSON document")
    .description("a destination's runs, newest first, or one run's per-customer results")
    .action(
      async (
        name: string,
        runId: string | undefined,
        options: JsonOption & { limit?: number },
        command: Command,
      ) => {
        await withHub(command, options, async (hub) => {
          const service = openDestinations(hub, command);
          if (runId !== undefined) {
            const report = await service.runReport(cliActor, name, runId);
            printResult(options, report, () => describeReport(report));
            return;
          }
          const runs = await service.runs(cliActor, name, options.limit);
          printResult(options, runs, () =>
            runs.length === 0
              ? "no runs yet"
              : table(
                  ["RUN", "STARTED", "TRIGGER", "OUTCOME", "DELIVERED", "FAILED", "DEAD", "ERROR"],
                  runs.map((run) => [
                    run.id,
                    run.startedAt,
                    run.trigger,
                    run.outcome,
                    String(run.delivered),
                    String(run.failed),
                    String(run.deadLettered),
                    (run.error ?? "").slice(0, 80),
                  ]),
                ),
          );
        });
      },
    );

  destinations
    .command("dead-letters")
    .argument("<name>", "the destination")
    .option("--limit <n>", "dead letters to show (default 100)", pageSize)
    .option("--json", "print one JSON document")
    .description("a destination's dead letters, oldest first")
    .action(async (name: string, options: JsonOption & { limit?: number }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const letters = await openDestinations(hub, command).deadLetters(
          cliActor,
          name,
          options.limit ?? 100,
        );
        printResult(options, letters, () => deadLetterTable(letters, { objectColumn: false }));
      });
    });

  destinations
    .command("requeue")
    .argument("<name>", "the destination")
    .argument("[ids...]", "dead-letter ids (from `destinations dead-letters NAME`)")
    .option("--all", "every dead letter of the destination")
    .option("--json", "print one JSON document")
    .description(
      "put a destination's dead letters back in its queue, ahead of their customers' newer messages",
    )
    .action(
      async (
        name: string,
        ids: string[],
        options: JsonOption & { all?: boolean },
        command: Command,
      ) => {
        const selected = requeueSelection(ids, options);
        if (selected === undefined) return;
        await withHub(command, options, async (hub) => {
          const result = await openDestinations(hub, command).requeue(cliActor, name, selected);
          printResult(options, result, () => `re-queued ${result.requeued} dead letter(s)`);
        });
      },
    );
}
