#!/usr/bin/env node
/** The `custhub` command (SPEC 10). */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerApiKeys } from "./commands/apikeys.js";
import { registerCards } from "./commands/cards.js";
import { registerConfig } from "./commands/config.js";
import { registerCredentials } from "./commands/credentials.js";
import { registerCustomers } from "./commands/customers.js";
import { registerImports } from "./commands/imports.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerReferenceData } from "./commands/reference-data.js";
import { registerServe } from "./commands/serve.js";
import { registerSync } from "./commands/sync.js";
import { EXIT } from "./output.js";

const { version } = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command("custhub")
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
  registerServe(program);
  registerMigrate(program);
  registerConfig(program);
  registerReferenceData(program);
  registerCustomers(program);
  registerImports(program);
  registerCards(program);
  registerCredentials(program);
  registerSync(program);
  registerApiKeys(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    throw error;
  }
}
