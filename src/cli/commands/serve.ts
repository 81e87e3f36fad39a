import type { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { sweepAllDeadRuns } from "../../ingest/import-files.js";
import { startIncomingWatcher, type Watcher } from "../../ingest/incoming-watcher.js";
import { stopReasonForLog } from "../../ingest/xml-blocks.js";
import { describeConfig } from "../../services/config.js";
import type { Config } from "../../services/config.js";
import type { DataDirLock } from "../../services/data-dir-lock.js";
import { openHub, takeDataDirLock, type Hub } from "../../services/hub.js";
import { startAdminServer, type AdminServer } from "../admin-socket/admin-server.js";
import { adminSocketPathOf } from "../admin-socket/socket-path.js";
import type { SyncScheduler } from "../../sync/scheduler.js";
import { configOf } from "../context.js";
import { fail } from "../output.js";
import { cliActor, openDataSync } from "./sync.js";

interface ServeOptions {
  host?: string;
  port?: string;
  recordCacheMb?: string;
  drainSeconds?: string;
  watch?: boolean;
}

/** Runs one forwarded command line inside this process (the admin socket's commands). */
export type CommandRunner = (argv: readonly string[]) => Promise<void>;

export function registerServe(program: Command, runCommand: CommandRunner): void {
  program
    .command("serve")
    .description("serve the REST API on the configured address until stopped (SIGINT/SIGTERM)")
    .option("--host <host>", "address to listen on (default 127.0.0.1, or HOST)")
    .option("--port <port>", "port to listen on (default 8080, or PORT)")
    .option(
      "--record-cache-mb <MiB>",
      "memory for customer records kept for reads (default 64, or CUSTHUB_RECORD_CACHE_MB; 0: none)",
    )
    .option(
      "--drain-seconds <seconds>",
      "on SIGINT/SIGTERM, keep serving this long with /readyz failing (default 0, or CUSTHUB_DRAIN_SECONDS)",
    )
    .option("--watch", "import the files dropped into <data>/incoming/<fileset>/, each once")
    .action(async (options: ServeOptions, command: Command) => {
      let hub: Hub | undefined;
      let lock: DataDirLock | undefined;
      let admin: AdminServer | undefined;
      let app: FastifyInstance | undefined;
      let watcher: Watcher | undefined;
      let scheduler: SyncScheduler | undefined;
      let opened!: (server: { hub: Hub; config: Config }) => void;
      let failed!: (error: unknown) => void;
      const ready = new Promise<{ hub: Hub; config: Config }>((resolve, reject) => {
        opened = resolve;
        failed = reject;
      });
      // Only forwarded commands wait for the database; a start that fails before the admin socket
      // is open is reported below, not as an unhandled rejection (a stack trace and exit 1).
      ready.catch(() => undefined);
      let closing: Promise<void> | undefined;
      /** Ends the drain early (a second signal). */
      let endDrain: (() => void) | undefined;
      /** Keeps the listener open `seconds` with /readyz failing, so a load balancer drains. */
      const drain = (seconds: number): Promise<void> | undefined =>
        seconds > 0
          ? new Promise((resolve) => {
              const timer = setTimeout(resolve, seconds * 1000);
              endDrain = () => {
                clearTimeout(timer);
                resolve();
              };
            })
          : undefined;
      /**
       * Closes what is open, once, whether on SIGINT/SIGTERM (after `drainSeconds`) or because the
       * start failed.
       */
      const closeAll = (drainSeconds = 0): Promise<void> =>
        (closing ??= (async () => {
          // The file in hand is imported to its end; close() then waits for requests in flight.
          // The sync run in progress ends gracefully: deliveries in flight finish and are
          // recorded, unsent claimed rows are freed at once, before the hub closes.
          // Forwarded commands in hand (an import) end as the file in hand does.
          await Promise.all([
            watcher?.stop(),
            scheduler?.stop(),
            admin?.close(),
            drain(drainSeconds),
          ]);
          await app?.close();
          if (hub) await hub.close();
          else lock?.release();
        })());
      const log: {
        info(fields: object, message: string): void;
        error(fields: object, message: string): void;
      } = {
        info: () => undefined,
        error: (_fields, message) => void process.stderr.write(`${message}\n`),
      };
      try {
        const config = configOf(command, options);
        if (!config.databaseUrl) {
          // The embedded database is this process's alone: the lock names the admin socket,
          // which is open (commands wait for the database) before the database is.
          const socketPath = adminSocketPathOf(config.dataDir);
          lock = await takeDataDirLock(config.dataDir, "serve", { socket: socketPath });
          admin = await startAdminServer({
            socketPath,
            ready,
            runCommand,
            onError: (error) => log.error({ err: error }, "a forwarded command failed"),
            onCommand: ({ command, exitCode }) =>
              log.info(
                { command, ...(exitCode === undefined ? {} : { exitCode }) },
                exitCode === undefined ? "forwarded command started" : "forwarded command ended",
              ),
          });
        }
        hub = await openHub(config, { purpose: "serve", ...(lock ? { lock } : {}) });
        if (config.recordCacheMb > 0) await hub.keepRecords(config.recordCacheMb * 1024 * 1024);
        // The HTTP stack loads here, for `serve` alone: other commands start without it.
        const { buildServer } = await import("../../api/server.js");
        opened({ hub, config });
        const server = buildServer(hub, {
          logger: true,
          dataDir: config.dataDir,
          dataSync: openDataSync(hub, command),
          stopping: () => closing !== undefined,
        });
        app = server;
        log.error = (fields, message) => server.log.error(fields, message);
        log.info = (fields, message) => server.log.info(fields, message);
        // What runs that died left in complete/ goes, for the imports nobody resumes or imports
        // again too; an import a live process runs keeps its files. Before the watcher takes up
        // a file, whose run would sweep its own import's leftovers anyway.
        await sweepAllDeadRuns(hub, config.dataDir, {
          onSwept: (row) =>
            server.log.info(
              { importId: row.id, fileset: row.fileset },
              `removed what a dead run left of ${row.fileName}`,
            ),
          onError: (error, importId) =>
            server.log.error(
              { err: error, importId },
              "could not remove what a dead run of an import left",
            ),
        }).catch((error: unknown) =>
          server.log.error({ err: error }, "could not look for what dead runs of imports left"),
        );
        watcher = options.watch
          ? startIncomingWatcher(hub, {
              dataDir: config.dataDir,
              onImported: (summary) => {
                const fields = {
                  importId: summary.importId,
                  fileset: summary.fileset,
                  total: summary.total,
                  failed: summary.failed,
                };
                // A file that could not be read to its end is moved to failed/: say so, and why.
                if (summary.error) {
                  server.log.warn(
                    { ...fields, error: stopReasonForLog(summary.error.message) },
                    `stopped importing ${summary.file}`,
                  );
                } else server.log.info(fields, `imported ${summary.file}`);
              },
              onError: (error, file, retryInMs) =>
                retryInMs === undefined
                  ? server.log.error({ err: error, file }, "import of a dropped file failed")
                  : server.log.error(
                      { err: error, file, retryInSeconds: Math.round(retryInMs / 1000) },
                      "could not start importing a dropped file: it is kept and tried again",
                    ),
              onIgnored: (path, reason) =>
                server.log.warn(
                  { path, reason },
                  "not importing what is not in a fileset's folder",
                ),
            })
          : undefined;
        // From the first signal on, /readyz answers 503 while the work in hand ends. Handlers
        // stay installed: a second signal must not kill the process mid-record (SIGKILL does).
        const stop = (signal: string): void => {
          if (closing) {
            endDrain?.();
            server.log.warn(
              { signal },
              "already shutting down: finishing the work in hand (SIGKILL stops at once)",
            );
            return;
          }
          server.log.info(
            { signal, drainSeconds: config.drainSeconds },
            "shutting down: finishing requests in flight",
          );
          void closeAll(config.drainSeconds);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
        await server.listen({ host: config.host, port: config.port });
        server.log.info(describeConfig(config), "custhub is serving");
        // The data-sync job on its schedule (DataSyncIntervalSeconds), while DataSyncEnabled.
        if (!closing) scheduler = openDataSync(hub, command, server.log).startScheduler(cliActor);
      } catch (error) {
        failed(error);
        fail({}, error);
        await closeAll();
      }
    });
}
