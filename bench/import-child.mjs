/**
 * One engine's import for `bench:import`, run by plain Node on the compiled code in dist/, as
 * `custhub import` runs. The benchmark itself runs under a TypeScript loader, which would add
 * about 70 MB to the import's peak RSS if the import ran under it too.
 *
 *   node bench/import-child.mjs create-pglite|pglite|postgres FILE WORK_DIR
 *
 * PostgreSQL is BENCH_DATABASE_URL; the import runs in a schema of its own, dropped afterwards.
 * Reports `{ seconds, cpuSeconds, peakRssMb, succeeded, failed }` to the parent process, and on
 * PostgreSQL `floorSeconds`: how long the server alone takes to write the rows the import wrote.
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
  const maxRss = process.resourceUsage().maxRSS;
  let floorSeconds = null;
  if (task !== "pglite") {
    floorSeconds = await serverFloor(schema);
    await hub.db.exec(`DROP SCHEMA ${schema} CASCADE`);
  }
  await hub.close();
  process.send({
    floorSeconds,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: Math.round(maxRss / 1024),
    succeeded: summary.succeeded,
    failed: summary.failed,
  });
}

/**
 * The server's own floor for this import: the rows it wrote (customers, their keys, history and
 * queued messages), written again by the server alone into an empty schema with the same tables,
 * indexes, constraints and triggers, in one transaction: `INSERT ... SELECT`, no client, no
 * parameters, no round trips. Text values are made anew (`|| ''`) so that the server compresses
 * them again as it does what a client sends, instead of copying the stored, compressed value.
 * No import on this schema and server can write these rows faster.
 */
async function serverFloor(schema) {
  const copy = `${schema}_floor`;
  const target = await openHub(
    { dataDir: "", databaseUrl: process.env.BENCH_DATABASE_URL },
    { schema: copy },
  );
  try {
    const tables = [
      "customers",
      "customer_alternate_keys",
      "customer_history",
      "data_sync_cust_pending_queue",
    ];
    const statements = [];
    for (const table of tables) {
      const rows = await target.db.query(
        `SELECT column_name AS name, data_type AS type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, table],
      );
      const values = rows.map(({ name, type }) => (type === "text" ? `${name} || ''` : name));
      statements.push(
        `INSERT INTO ${copy}.${table} SELECT ${values.join(", ")} FROM ${schema}.${table};`,
      );
    }
    const started = process.hrtime.bigint();
    await target.db.exec(`BEGIN; ${statements.join(" ")} COMMIT;`);
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await target.db.exec(`DROP SCHEMA ${copy} CASCADE`);
    await target.close();
  }
}
