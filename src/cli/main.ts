#!/usr/bin/env node
/** The `custhub` command (SPEC 10). */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerApiKeys } from "./commands/apikeys.js";
import { registerCardPrograms } from "./commands/card-programs.js";
import { registerCards } from "./commands/cards.js";
import { registerSegments } from "./commands/segments.js";
import { registerCustomerAssignments } from "./commands/customer-assignments.js";
import { registerTransactions } from "./commands/transactions.js";
import { registerConfig } from "./commands/config.js";
import { registerCredentials } from "./commands/credentials.js";
import { registerCustomers } from "./commands/customers.js";
import { registerDatanuum } from "./commands/datanuum.js";
import { registerDestinations } from "./commands/destinations.js";
import { registerImports } from "./commands/imports.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerReferenceData } from "./commands/reference-data.js";
import { registerServe } from "./commands/serve.js";
import { registerSync } from "./commands/sync.js";
import { forwardCommand } from "./admin-socket/forward.js";
import { configOf } from "./context.js";
import { io } from "./io.js";
import { EXIT, fail, reportUsageError, setExitCode } from "./output.js";
import { lockStateOf } from "../services/data-dir-lock.js";

const { version } = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command("custhub")
    // Help and usage errors go where the command's output goes (a forwarding terminal, too).
    .configureOutput({
      writeOut: (text) => void io().stdout.write(text),
      writeErr: (text) => void io().stderr.write(text),
    })
    .description("Customer hub: the customer master, its batch import, REST API and data sync")
    .version(version)
    .option(
      "--data <dir>",
      "data folder: embedded database, key file, incoming/ and complete/ (CUSTHUB_DATA_DIR, default ./data)",
    )
    .option(
      "--config <file>",
      "JSON configuration file (CUSTHUB_CONFIG, default ./custhub.config.json if present)",
    )
    .showHelpAfterError()
    .exitOverride();
  registerServe(program, (argv) => runCommandLine(argv, { forward: false }));
  registerMigrate(program);
  registerConfig(program);
  registerReferenceData(program);
  registerCustomers(program);
  registerImports(program);
  registerCards(program);
  registerCardPrograms(program);
  registerSegments(program);
  registerCustomerAssignments(program);
  registerTransactions(program);
  registerCredentials(program);
  registerSync(program);
  registerDestinations(program);
  registerDatanuum(program);
  registerApiKeys(program);
  return program;
}

/** Thrown past commander once a command has been run by the server instead of here. */
class Forwarded extends Error {}

/**
 * Runs one command line (without `node custhub`) under the current `io()`. With `forward`, a
 * command on a data dir that `custhub serve` holds is handed to that server (SPEC 1) and its
 * output and exit code are this process's; without a server the command opens the database here.
 */
export async function runCommandLine(
  argv: readonly string[],
  options: { forward: boolean },
): Promise<void> {
  const program = buildProgram();
  if (options.forward) {
    program.hook("preAction", async (_program, action) => {
      if (action.name() === "serve") return;
      let config;
      try {
        config = configOf(action);
      } catch {
        return; // The command itself reports a configuration it cannot read.
      }
      // On a PostgreSQL server every process connects on its own: nothing to forward.
      if (config.databaseUrl) return;
      const holder = await lockStateOf(config.dataDir);
      if (holder.state !== "serving") return;
      try {
        setExitCode(await forwardCommand(holder.owner.socket, argv, holder.owner));
      } catch (error) {
        fail({ json: argv.includes("--json") }, error);
      }
      throw new Forwarded();
    });
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof Forwarded) return;
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      if (error.exitCode === 0) setExitCode(EXIT.ok);
      else
        reportUsageError({ json: argv.includes("--json") }, error.message.replace(/^error: /, ""));
    } else {
      throw error;
    }
  }
}

// A reader that stops early (`| head`, a pager quit) no longer wants the output: the rest of it
// is dropped, and the command ends as it would have, its database closed, without a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

await runCommandLine(process.argv.slice(2), { forward: true });
