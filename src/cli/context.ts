/** What every command shares: the global options and a hub opened for the command's work. */
import type { Command } from "commander";
import { loadConfig, type Config } from "../services/config.js";
import { openHub, type Hub } from "../services/hub.js";
import { reportFailure, type OutputOptions } from "./output.js";

export interface GlobalOptions {
  data?: string;
  config?: string;
}

export function configOf(command: Command, extra: { host?: string; port?: string } = {}): Config {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return loadConfig({ dataDir: globals.data, configFile: globals.config, ...extra });
}

/**
 * Runs `work` with a hub on the configured database, closes it, and turns a failure into the
 * right message and exit code.
 */
export async function withHub(
  command: Command,
  options: OutputOptions,
  work: (hub: Hub) => Promise<void>,
): Promise<void> {
  let hub: Hub | undefined;
  try {
    hub = await openHub(configOf(command));
    await work(hub);
  } catch (error) {
    process.exitCode = reportFailure(options, error);
  } finally {
    await hub?.close();
  }
}
