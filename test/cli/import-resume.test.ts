/**
 * `custhub import` killed part-way (SIGKILL: no cleanup runs), then `custhub imports resume`: every
 * block takes effect exactly once. On a PostgreSQL server, where the test can watch the journal
 * from outside while the import runs; the embedded database is locked by the importing process.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "../support/cli.js";
import { waitFor } from "../support/wait.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const BLOCKS = 3_000;

// Keyless Adds: applied twice, each would be a second customer.
const block = (index: number): string =>
  index % 2 === 0
    ? `<Customer Action="Add"><OrgName>Org ${index}</OrgName></Customer>`
    : `<Customer Action="AddorUpdate"><OrgName>Keyed ${index}</OrgName><AlternateKey TypeCode="TWCUSTID"><AlternateID>K${index}</AlternateID></AlternateKey></Customer>`;

describe.runIf(serverUrl)("custhub imports resume after a kill on postgres", () => {
  it("applies every block exactly once when an import killed part-way is resumed", async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-resume-"));
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(serverUrl!);
      url.searchParams.set("options", `-c search_path=${schema}`);
      const env = { DATABASE_URL: url.toString() };
      const file = join(dataDir, "killed.xml");
      writeFileSync(
        file,
        `<Customers>\n${Array.from({ length: BLOCKS }, (_, index) => block(index)).join("\n")}\n</Customers>\n`,
      );

      const child = spawn(process.execPath, [CLI, "--data", dataDir, "import", file, "--json"], {
        env: { PATH: process.env.PATH, ...env },
        stdio: "ignore",
      });
      const exited = once(child, "exit");
      // Killed as soon as a group of blocks has committed: its journal row is there.
      await waitFor(async () => {
        const { rows } = await admin
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.import_applied_blocks`)
          .catch(() => ({ rows: [{ n: 0 }] }));
        return rows[0]!.n > 0;
      }, 60_000);
      child.kill("SIGKILL");
      await exited;

      // The server frees the killed process's claim with its session, a moment after the kill.
      await waitFor(async () => {
        const { rows } = await admin.query<{ free: boolean }>(
          "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free",
          [`${schema}.custhub.import.1`],
        );
        if (rows[0]!.free) {
          await admin.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [
            `${schema}.custhub.import.1`,
          ]);
        }
        return rows[0]!.free;
      }, 10_000);
      const { rows: imports } = await admin.query<{ id: string; status: string }>(
        `SELECT id::text AS id, status FROM ${schema}.imports`,
      );
      expect(imports).toEqual([{ id: "1", status: "running" }]);
      // No process claims it any more: shown as interrupted, resumed without being told it is safe.
      const listed = await runCli(["--data", dataDir, "imports", "show", "1", "--json"], env);
      expect(JSON.parse(listed.stdout)).toMatchObject({
        status: "failed",
        error: { code: "IMPORT_INTERRUPTED", message: expect.stringMatching(/^Interrupted/) },
      });

      const resumed = await runCli(["--data", dataDir, "imports", "resume", "1", "--json"], env);
      expect(resumed.code).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      expect(summary).toMatchObject({ importId: "1", total: BLOCKS, succeeded: BLOCKS, failed: 0 });
      expect(summary.resumedBlocks).toBeGreaterThan(0);
      const { rows: customers } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema}.customers`,
      );
      expect(customers).toEqual([{ n: BLOCKS }]);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
