/** What every command shares: the global options and a hub opened for the command's work. */
import type { Command } from "commander";
import { loadConfig, type Config } from "../services/config.js";
import { openHub, type Hub } from "../services/hub.js";
import { io } from "./io.js";
import { fail, reportFailure, setExitCode, type OutputOptions } from "./output.js";

export interface GlobalOptions {
  data?: string;
  config?: string;
}

export function configOf(
  command: Command,
  extra: { host?: string; port?: string; recordCacheMb?: string; drainSeconds?: string } = {},
): Config {
  // Inside the serving process the server's own configuration holds, whatever the caller had.
  const server = io().server;
  if (server) return server.config;
  const globals = command.optsWithGlobals<GlobalOptions>();
  return loadConfig({ dataDir: globals.data, configFile: globals.config, ...extra });
}

/**
 * Runs `work` with a hub on the configured database, closes it, and turns a failure into the
 * right message and exit code. Inside the serving process it is the server's own hub, left open.
 */
export async function withHub(
  command: Command,
  options: OutputOptions,
  work: (hub: Hub) => Promise<void>,
  /** The exit code of any failure, when the command's own codes call for one (`import`). */
  failedExit?: number,
): Promise<void> {
  const server = io().server;
  let opened: Hub | undefined;
  try {
    const hub = server?.hub ?? (opened = await openHub(configOf(command)));
    await work(hub);
  } catch (error) {
    if (failedExit === undefined) fail(options, error);
    else {
      reportFailure(options, error);
      setExitCode(failedExit);
    }
  } finally {
    await opened?.close();
  }
}
