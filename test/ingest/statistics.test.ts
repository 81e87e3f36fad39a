/**
 * An import that changes enough customers leaves the planner statistics of the customer tables
 * fresh, so the searches right after it use their indexes (docs/storage.md, "Statistics after an
 * import"): the embedded database has no autovacuum at all.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { Hub } from "../../src/services/hub.js";
import { EMBEDDED_STATISTICS_TARGET } from "../../src/store/customer-statistics.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const customer = (at: number, orgName = ""): string =>
  `<Customer Action="AddorUpdate">${orgName && `<OrgName>${orgName}</OrgName>`}<EntityInformation><Individual><ContactInformation><EMail><EMailAddress>c${at}@example.com</EMailAddress></EMail></ContactInformation></Individual></EntityInformation><AlternateKey TypeCode="TWCUSTID"><AlternateID>S${at}</AlternateID></AlternateKey></Customer>`;

/** A batch file of `count` AddorUpdate blocks in `dataDir`, each naming `orgName` if given. */
function batchOf(dataDir: string, name: string, count: number, orgName = ""): string {
  const file = join(dataDir, name);
  writeFileSync(
    file,
    `<Customers>\n${Array.from({ length: count }, (_, at) => customer(at, orgName)).join("\n")}\n</Customers>\n`,
  );
  return file;
}

async function customerTuples(hub: Hub): Promise<number> {
  const [row] = await hub.db.query<{ tuples: number }>(
    "SELECT reltuples::float8 AS tuples FROM pg_class WHERE oid = 'customers'::regclass",
  );
  return row!.tuples;
}

describe.each(engines)("upkeep of the customer tables on $name", (engine) => {
  it("analyzes the customer tables after an import that changed enough of them", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const file = batchOf(dataDir, "many.xml", 120);
    expect(await customerTuples(hub)).toBeLessThan(1);
    await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    // ANALYZE reads a table this small whole: the count is exact.
    expect(await customerTuples(hub)).toBe(120);
    const [stats] = await hub.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'customers' AND attname = 'emails'`,
    );
    expect(stats!.n).toBe(1);
    // The embedded database samples at the smaller target, whose histograms have 31 bounds at most;
    // a server keeps its own default (100: 101 bounds). The session's setting is restored after.
    const [histogram] = await hub.db.query<{ bounds: number }>(
      `SELECT array_length(histogram_bounds, 1) AS bounds FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'customers' AND attname = 'customer_id'`,
    );
    expect(histogram!.bounds).toBe(engine.name === "pglite" ? EMBEDDED_STATISTICS_TARGET + 1 : 101);
    const [target] = await hub.db.query<{ default_statistics_target: string }>(
      "SHOW default_statistics_target",
    );
    expect(target!.default_statistics_target).toBe("100");
    await hub.close();
  });

  it("on the embedded database, makes the space of the rows an import replaced reusable", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const sizes: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      // Each run changes every customer (an unchanged customer is not written again).
      const file = batchOf(dataDir, `again-${run}.xml`, 300, `Org ${run}`);
      await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
      const [row] = await hub.db.query<{ bytes: number }>(
        "SELECT pg_relation_size('customers')::int AS bytes",
      );
      sizes.push(row!.bytes);
    }
    // The second import replaces every row; the third reuses the space of the first's rows.
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    // A server's autovacuum does the same in its own time.
    if (engine.name === "pglite") expect(sizes[2]).toBeLessThanOrEqual(sizes[1]!);
    await hub.close();
  });

  it("gathers them for customers written one by one, as the API writes them", async () => {
    const hub = await engine.freshHub();
    const context = { actor: "test", channel: "api" } as const;
    for (let at = 0; at < 120; at += 1) {
      await hub.customers.add(
        { individual: { emails: [{ emailAddress: `a${at}@x.example` }] } },
        context,
      );
    }
    if (engine.name === "pglite") {
      // Analyzed at the first write (none yet), then each time the writes since passed 50 + 10 %.
      const tuples = await customerTuples(hub);
      expect(tuples).toBeGreaterThan(100);
      expect(tuples).toBeLessThanOrEqual(120);
    }
    // On a server autovacuum gathers them in its own time; custhub leaves it to it.
    await hub.close();
  });

  it("leaves them alone when the change is small next to the table (autovacuum's rule)", async () => {
    const hub = await engine.freshHub();
    // Never analyzed: any bulk write refreshes them.
    expect(await hub.customers.refreshStatistics(1)).toBe(true);
    expect(await hub.customers.refreshStatistics(50)).toBe(false);
    expect(await hub.customers.refreshStatistics(51)).toBe(true);
    await hub.close();
  });
});
