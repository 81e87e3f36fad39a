/**
 * One engine's import for `bench:import`, run by plain Node on the compiled code in dist/, as
 * `custhub import` runs. The benchmark itself runs under a TypeScript loader, which would add
 * about 70 MB to the import's peak RSS if the import ran under it too.
 *
 *   node bench/import-child.mjs create-pglite|pglite|postgres FILE WORK_DIR
 *
 * PostgreSQL is BENCH_DATABASE_URL; the import runs in a schema of its own, dropped afterwards.
 * Reports `{ seconds, cpuSeconds, peakRssMb, succeeded, failed }` to the parent process.
 */
import { join } from "node:path";
import { URL } from "node:url";

const [task, file, workDir] = process.argv.slice(2);
const dist = new URL("../dist/", import.meta.url);
const { openHub } = await import(new URL("services/hub.js", dist).href);
const { importFile } = await import(new URL("ingest/import-file.js", dist).href);

if (task === "create-pglite") {
  // Creating the embedded database costs PGlite several hundred MB that opening it does not; a
  // user pays it once, on the first run, so it happens here, before the measured process.
  const hub = await openHub({ dataDir: join(workDir, "pglite"), databaseUrl: undefined });
  await hub.close();
  process.send({});
} else {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const hub =
    task === "pglite"
      ? await openHub({ dataDir: join(workDir, "pglite"), databaseUrl: undefined })
      : await openHub({ dataDir: "", databaseUrl: process.env.BENCH_DATABASE_URL }, { schema });
  await hub.settings.set("DataSyncEnabled", true);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const summary = await importFile(hub, file, {
    channel: "cli",
    actor: "bench",
    dataDir: join(workDir, task),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  if (task !== "pglite") await hub.db.exec(`DROP SCHEMA ${schema} CASCADE`);
  await hub.close();
  process.send({
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    succeeded: summary.succeeded,
    failed: summary.failed,
  });
}
