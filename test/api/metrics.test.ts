/** `/metrics` counts imports and deliveries as they happen, and reads each destination's queue. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import { importFile } from "../../src/ingest/import-file.js";
import { resumeImport } from "../../src/ingest/resume-import.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { cutOffImport } from "../support/cut-off-import.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { configureSync } from "../sync/helpers.js";

const sysadmin = { kind: "system", name: "test", roles: ["sysadmin"] } as const;

const customer = (action: string, body: string) =>
  `<Customer Action="${action}">${body}</Customer>`;

/** Two good blocks, one warned (an empty tag), one failed (an Update of nobody). */
const FILE = `<?xml version="1.0" encoding="UTF-8"?>
<Customers>
  ${customer("AddorUpdate", `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>M-1</AlternateID></AlternateKey><Individual><Name><Name Location="FIRST">Ann</Name></Name></Individual>`)}
  ${customer("AddorUpdate", `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>M-2</AlternateID></AlternateKey><Individual><Name><Name Location="FIRST">Bo</Name></Name><Salutation></Salutation></Individual>`)}
  ${customer("Update", `<CustomerID>987654</CustomerID><Individual><Name><Name Location="FIRST">Cy</Name></Name></Individual>`)}
</Customers>
`;

/** The value of the one sample line starting with `series` (name and labels), or undefined. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.each(engines)("/metrics on $name", (engine) => {
  let app: FastifyInstance | undefined;
  let receiver: DataSyncReceiver | undefined;
  afterEach(async () => {
    await app?.close();
    await receiver?.close();
  });

  it("counts imported blocks by action and outcome, deliveries by result with their latency, and shows each destination's queue", async () => {
    const hub = await engine.freshHub();
    receiver = await DataSyncReceiver.start();
    const dataSync = await configureSync(hub, receiver, { tuning: { maxAttempts: 1 } });
    const dataDir = tempDir();
    app = buildServer(hub, { dataDir, dataSync });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const scrape = async () => (await fetch(`${base}/metrics`)).text();

    const before = await scrape();
    expect(sample(before, "custhub_imports_running")).toBe(0);
    expect(before).toContain("# TYPE custhub_sync_deliveries_total counter");

    const path = join(tempDir(), "metrics.xml");
    writeFileSync(path, FILE);
    const summary = await importFile(hub, path, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ succeeded: 2, failed: 1, warnings: 1 });

    // The receiver refuses Bo's CREATE: with one attempt allowed it is dead-lettered, and the run
    // fails (seeds/001: anything but 200 fails the run).
    receiver.respondWith((message) =>
      message.payload.includes('"Bo"') ? { status: 400, body: "no" } : undefined,
    );
    const run = await dataSync.runOnce(sysadmin);
    expect(run).toMatchObject({ delivered: 1, deadLettered: 1 });

    const text = await scrape();
    expect(sample(text, 'custhub_imports_total{status="completed"}')).toBe(1);
    expect(sample(text, "custhub_imports_running")).toBe(0);
    expect(sample(text, "custhub_import_duration_seconds_count")).toBe(1);
    expect(
      sample(text, 'custhub_import_blocks_total{action="AddorUpdate",outcome="succeeded"}'),
    ).toBe(2);
    expect(sample(text, 'custhub_import_blocks_total{action="Update",outcome="failed"}')).toBe(1);
    expect(sample(text, 'custhub_import_block_warnings_total{action="AddorUpdate"}')).toBe(1);
    expect(
      sample(text, 'custhub_sync_deliveries_total{destination="datasync",result="delivered"}'),
    ).toBe(1);
    expect(
      sample(text, 'custhub_sync_deliveries_total{destination="datasync",result="failed"}'),
    ).toBe(1);
    expect(
      sample(text, 'custhub_sync_delivery_duration_seconds_count{destination="datasync"}'),
    ).toBe(2);
    expect(sample(text, 'custhub_sync_runs_total{destination="datasync",outcome="failed"}')).toBe(
      1,
    );
    expect(sample(text, 'custhub_sync_dead_letters{destination="datasync"}')).toBe(1);
    expect(sample(text, 'custhub_sync_progress_rows{destination="datasync"}')).toBe(0);
    // Every family is declared once, and every sample line is `name{labels} number`.
    const types = text.split("\n").filter((line) => line.startsWith("# TYPE "));
    expect(new Set(types).size).toBe(types.length);
    for (const line of text
      .trim()
      .split("\n")
      .filter((line) => !line.startsWith("#"))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
    }
  });

  it("answers a scrape while the database is down: the process's own figures, and database_up 0", async () => {
    const hub = await engine.freshHub();
    app = buildServer(hub, { dataDir: tempDir() });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const scrape = () => fetch(`${base}/metrics`);
    await fetch(`${base}/healthz`);
    const up = await (await scrape()).text();
    expect(sample(up, "custhub_database_up")).toBe(1);
    expect(sample(up, 'custhub_customers{state="total"}')).toBe(0);

    // The database stops answering the scrape's reads (as one dropped does: no such relation).
    await hub.db.query("ALTER TABLE customers RENAME TO customers_gone");
    const reply = await scrape();
    expect(reply.status).toBe(200);
    const down = await reply.text();
    expect(sample(down, "custhub_database_up")).toBe(0);
    // Counted in the process: still there, still counting.
    expect(
      sample(down, 'custhub_http_requests_total{method="GET",route="/metrics",status="200"}'),
    ).toBe(1);
    expect(down).toContain("# TYPE custhub_imports_total counter");
    // Read from the database: left out, not shown as zero.
    expect(down).not.toMatch(/^custhub_(customers|queue_depth)\b/m);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it("counts a resumed import's blocks once: those its first run applied are not counted again", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const path = join(dataDir, "resumed.xml");
    writeFileSync(path, FILE);
    // The first run applies Ann and Bo, then stops; the resumed run applies the Update only.
    const importId = await cutOffImport(hub, path, { channel: "cli", dataDir, groupSize: 2 });
    const summary = await resumeImport(hub, importId, { actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 3, succeeded: 2, failed: 1, resumedBlocks: 2 });

    const blocks = (action: string, outcome: string) =>
      hub.metrics.importBlocks.value({ action, outcome });
    expect(blocks("AddorUpdate", "succeeded")).toBe(2);
    expect(blocks("Update", "failed")).toBe(1);
    expect(hub.metrics.importWarnings.value({ action: "AddorUpdate" })).toBe(1);
    await hub.close();
  });
});
