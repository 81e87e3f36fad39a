import type { Command } from "commander";
import { buildServer } from "../../api/server.js";
import { startIncomingWatcher } from "../../ingest/incoming-watcher.js";
import { describeConfig } from "../../services/config.js";
import { openHub, type Hub } from "../../services/hub.js";
import type { SyncScheduler } from "../../sync/scheduler.js";
import { configOf } from "../context.js";
import { fail } from "../output.js";
import { cliActor, openDataSync } from "./sync.js";

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
        const app = buildServer(hub, {
          logger: true,
          dataDir: config.dataDir,
          dataSync: openDataSync(hub, command),
        });
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
        let scheduler: SyncScheduler | undefined;
        let stopping = false;
        const stop = async (signal: string): Promise<void> => {
          if (stopping) return;
          stopping = true;
          app.log.info({ signal }, "shutting down: finishing requests in flight");
          // The file in hand is imported to its end; close() then waits for requests in flight.
          // The sync run in progress ends gracefully: deliveries in flight finish and are recorded,
          // unsent claimed rows are freed at once, before the hub closes.
          await Promise.all([watcher?.stop(), scheduler?.stop()]);
          await app.close();
          await openedHub.close();
        };
        process.once("SIGINT", (signal) => void stop(signal));
        process.once("SIGTERM", (signal) => void stop(signal));
        await app.listen({ host: config.host, port: config.port });
        app.log.info(describeConfig(config), "custhub is serving");
        // The data-sync job on its schedule (DataSyncIntervalSeconds), while DataSyncEnabled.
        if (!stopping) scheduler = openDataSync(hub, command, app.log).startScheduler(cliActor);
      } catch (error) {
        fail({}, error);
        await hub?.close();
      }
    });
}
