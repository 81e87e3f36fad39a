import type { Command } from "commander";
import { buildServer } from "../../api/server.js";
import { startIncomingWatcher } from "../../ingest/incoming-watcher.js";
import { describeConfig } from "../../services/config.js";
import { openHub, type Hub } from "../../services/hub.js";
import { configOf } from "../context.js";
import { reportFailure } from "../output.js";

interface ServeOptions {
  host?: string;
  port?: string;
  watch?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the REST API on the configured address until stopped (SIGINT/SIGTERM)")
    .option("--host <host>", "address to listen on (default 127.0.0.1, or HOST)")
    .option("--port <port>", "port to listen on (default 8080, or PORT)")
    .option("--watch", "import the files dropped into <data>/incoming/<fileset>/, each once")
    .action(async (options: ServeOptions, command: Command) => {
      let hub: Hub | undefined;
      try {
        const config = configOf(command, options);
        hub = await openHub(config, { purpose: "serve" });
        const app = buildServer(hub, { logger: true, dataDir: config.dataDir });
        const openedHub = hub;
        const watcher = options.watch
          ? startIncomingWatcher(hub, {
              dataDir: config.dataDir,
              onImported: (summary) =>
                app.log.info(
                  {
                    importId: summary.importId,
                    fileset: summary.fileset,
                    total: summary.total,
                    failed: summary.failed,
                  },
                  `imported ${summary.file}`,
                ),
              onError: (error, file) =>
                app.log.error({ err: error, file }, "import of a dropped file failed"),
            })
          : undefined;
        let stopping = false;
        const stop = async (signal: string): Promise<void> => {
          if (stopping) return;
          stopping = true;
          app.log.info({ signal }, "shutting down: finishing requests in flight");
          // The file in hand is imported to its end; close() then waits for requests in flight.
          await watcher?.stop();
          await app.close();
          await openedHub.close();
        };
        process.once("SIGINT", (signal) => void stop(signal));
        process.once("SIGTERM", (signal) => void stop(signal));
        await app.listen({ host: config.host, port: config.port });
        app.log.info(describeConfig(config), "custhub is serving");
      } catch (error) {
        process.exitCode = reportFailure({}, error);
        await hub?.close();
      }
    });
}
