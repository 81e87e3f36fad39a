/**
 * An import cut off part-way resumes where it stopped: the blocks its first run applied are
 * counted, not applied again (the journal their transactions wrote), and the import ends as an
 * uninterrupted one would (docs/import.md, "Interrupted imports").
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import { resumeImport } from "../../src/ingest/resume-import.js";
import { cutOffImport } from "../support/cut-off-import.js";
import { openHub, type Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const key = (id: string) =>
  `<AlternateKey TypeCode="TWCUSTID"><AlternateID>${id}</AlternateID></AlternateKey>`;
const person = (first: string, extra = "") =>
  `<EntityInformation><Individual><Name><Name Location="First">${first}</Name></Name>${extra}</Individual></EntityInformation>`;

// Blocks that must not be applied twice: a second keyless Add is a second customer, a second Add
// of a key fails, a second Update adds its note again.
const BLOCKS = [
  `<Customer Action="Add">${person("Keyless")}</Customer>`,
  `<Customer Action="Add">${person("Keyed")}${key("R1")}</Customer>`,
  `<Customer Action="AddorUpdate">${person("Born", "<PersonalSummary><BirthDate>1980-13-45</BirthDate></PersonalSummary>")}${key("R2")}</Customer>`,
  `<Customer Action="Update">${key("R1")}<CustomerNotes><CustomerNote type="COMMENT">once</CustomerNote></CustomerNotes></Customer>`,
  `<Customer Action="Delete">${key("NOBODY")}</Customer>`,
  `<Customer Action="Add">${person("Later")}</Customer>`,
  `<Customer Action="AddorUpdate">${person("Last")}${key("R3")}<OrgName></OrgName></Customer>`,
];

function writeFile(dir: string): string {
  const path = join(dir, "resumable.xml");
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n${BLOCKS.join("\n")}\n</Customers>\n`,
  );
  return path;
}

/** What an import leaves: its summary counts, review rows, customers and failures file. */
async function outcome(hub: Hub, importId: string) {
  const review = await hub.imports.show(importId);
  const customers = await hub.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM customers WHERE active",
  );
  const notes = (await hub.customers.getByAlternateKey("TWCUSTID", "R1")).customerNotes;
  return {
    counts: {
      status: review.status,
      total: review.total,
      succeeded: review.succeeded,
      failed: review.failed,
      warnings: review.warnings,
      byAction: review.byAction,
    },
    rows: review.rows,
    customers: customers[0]!.n,
    notes,
    failures: readFileSync(review.failuresPath!, "utf8"),
  };
}

describe.each(engines)("resuming an interrupted import on $name", (engine) => {
  it("applies each block once: a resumed import ends as an uninterrupted one", async () => {
    const straight = await engine.freshHub();
    const straightDir = tempDir();
    const whole = await importFile(straight, writeFile(straightDir), {
      channel: "cli",
      actor: "test",
      dataDir: straightDir,
      groupSize: 3,
    });
    const expected = await outcome(straight, whole.importId);
    expect(expected.counts).toMatchObject({ total: 7, succeeded: 6, failed: 1 });
    expect(expected.counts.warnings).toBeGreaterThan(0);
    await straight.close();

    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const cutId = await cutOffImport(hub, writeFile(dataDir), {
      channel: "cli",
      dataDir,
      groupSize: 3,
    });
    const cut = await hub.imports.show(cutId);
    expect(cut).toMatchObject({ status: "failed", total: 3 });
    // It says why, in words of its own, and what applies the rest.
    expect(cut.error?.message).toBe(
      `The import stopped: an internal error (Error). \`custhub imports resume ${cutId}\` ` +
        "applies the rest, each block once.",
    );

    const resumed = await resumeImport(hub, cut.id, { actor: "test", dataDir });
    expect(resumed).toMatchObject({ importId: cut.id, resumedBlocks: 3, total: 7, failed: 1 });
    expect(await outcome(hub, cut.id)).toEqual({
      ...expected,
      failures: expected.failures,
    });

    // A completed import is not resumed again.
    await expect(resumeImport(hub, cut.id, { actor: "test", dataDir })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: `Import ${cut.id} cannot be resumed: it completed.`,
    });
    await hub.close();
  });

  it("refuses an import a run holds, resumes one whose process stopped, refuses one whose copy is gone", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const file = writeFile(dataDir);
    const claim = await hub.imports.start({
      fileName: "resumable.xml",
      fileset: "default",
      channel: "cli",
    });
    const { importId } = claim;
    await expect(resumeImport(hub, importId, { actor: "test", dataDir })).rejects.toMatchObject({
      code: "IMPORT_IN_PROGRESS",
      message: expect.stringContaining("a process is importing it right now"),
    });
    // Held: still running, in the list and on its own.
    expect((await hub.imports.list()).find((row) => row.id === importId)?.status).toBe("running");
    expect((await hub.imports.show(importId)).status).toBe("running");

    // Its process stops without finishing it (a dead process's session frees the claim so).
    await claim.release();
    expect(await hub.imports.show(importId)).toMatchObject({
      status: "failed",
      error: {
        code: "IMPORT_INTERRUPTED",
        message: expect.stringMatching(/^Interrupted: the process importing this file stopped/),
        line: null,
        column: null,
      },
    });
    // It stopped before its copy of the file was whole: nothing to resume, and it says so.
    expect((await hub.imports.show(importId)).error?.message).toBe(
      "Interrupted: the process importing this file stopped before it had received the whole " +
        "file. No block was applied; import the file again.",
    );
    await expect(resumeImport(hub, importId, { actor: "test", dataDir })).rejects.toThrow(
      /its copy of the file is not there/,
    );
    await hub.imports.located(importId, {
      sourcePath: file,
      failuresFile: join(dataDir, "resumable_failures.xml"),
    });
    const summary = await resumeImport(hub, importId, { actor: "test", dataDir });
    expect(summary).toMatchObject({
      importId,
      total: 7,
      succeeded: 6,
      failed: 1,
      resumedBlocks: 0,
    });
    expect((await hub.imports.show(importId)).status).toBe("completed");
    // The run released its claim: the import can be claimed again.
    const again = await hub.db.tryLock(`custhub.import.${importId}`);
    expect(again).not.toBeNull();
    await again!.release();
    await expect(resumeImport(hub, "999999", { actor: "test", dataDir })).rejects.toMatchObject({
      code: "IMPORT_NOT_FOUND",
    });
    await hub.close();
  });

  it("writes the failures file anew when the cut-off run applied nothing but had failures", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const file = join(dataDir, "failing.xml");
    const missing = `<Customer Action="Delete">${key("NOBODY")}</Customer>`;
    writeFileSync(
      file,
      `<Customers>\n${[missing, missing, missing, `<Customer Action="AddorUpdate">${key("F1")}</Customer>`].join("\n")}\n</Customers>\n`,
    );
    const cut = { id: await cutOffImport(hub, file, { channel: "cli", dataDir, groupSize: 3 }) };
    const resumed = await resumeImport(hub, cut.id, { actor: "test", dataDir });
    expect(resumed).toMatchObject({ total: 4, succeeded: 1, failed: 3, resumedBlocks: 0 });
    const failures = readFileSync(resumed.failuresPath!, "utf8");
    expect(failures.match(/<Customer /g)).toHaveLength(3);
    await hub.close();
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;

async function schemaOf(hub: Hub): Promise<string> {
  const [row] = await hub.db.query<{ schema: string }>("SELECT current_schema() AS schema");
  return row!.schema;
}

/** Ends, from outside, the server session holding the claim on `importId` in `hub`'s schema. */
async function breakClaim(hub: Hub, importId: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const schema = await schemaOf(hub);
    const { rows } = await client.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND granted
          AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`${schema}.custhub.import.${importId}`],
    );
    expect(rows).toEqual([{ ended: true }]);
  } finally {
    await client.end();
  }
}

/** A second process's hub on the same schema: another `custhub` on the same server. */
async function secondHub(hub: Hub): Promise<Hub> {
  const schema = await schemaOf(hub);
  return openHub({ dataDir: "", databaseUrl: serverUrl }, { schema, poolSize: 2 });
}

describe.runIf(serverUrl)("import claims between processes on postgres", () => {
  const postgres = engines.find((engine) => engine.name === "postgres")!;

  it("tells a run another process holds from one whose process is gone", async () => {
    const hub = await postgres.freshHub();
    const other = await secondHub(hub);
    const claim = await hub.imports.start({
      fileName: "a.xml",
      fileset: "default",
      channel: "cli",
    });
    await expect(other.imports.reopen(claim.importId)).rejects.toMatchObject({
      code: "IMPORT_IN_PROGRESS",
    });
    expect(await other.imports.closeInterrupted()).toBe(0);
    expect((await other.imports.show(claim.importId)).status).toBe("running");

    await breakClaim(hub, claim.importId);
    await waitFor(async () => claim.lost.aborted);
    expect(await other.imports.closeInterrupted()).toBe(1);
    expect((await hub.imports.show(claim.importId)).status).toBe("failed");
    await claim.release();
    await other.close();
    await hub.close();
  });

  it("stops an import whose claim is lost, and its resumed run applies the rest once", async () => {
    const hub = await postgres.freshHub();
    const dataDir = tempDir();
    const file = join(dataDir, "long.xml");
    const count = 300;
    // Keyless Adds: one applied twice would be one customer too many.
    writeFileSync(
      file,
      `<Customers>\n${Array.from({ length: count }, (_, at) => `<Customer Action="Add">${person(`P${at}`)}</Customer>`).join("\n")}\n</Customers>\n`,
    );
    let broken: Promise<void> | undefined;
    await expect(
      importFile(hub, file, {
        channel: "cli",
        actor: "test",
        dataDir,
        groupSize: 1,
        onProgress: () => {
          if (!broken) {
            broken = hub.imports.list(1).then(([row]) => breakClaim(hub, row!.id));
          }
        },
      }),
    ).rejects.toMatchObject({ code: "IMPORT_INTERRUPTED" });
    await broken;
    const [cut] = await hub.imports.list(1);
    expect(cut).toMatchObject({
      status: "failed",
      error: { code: "IMPORT_INTERRUPTED", message: expect.stringContaining("was lost") },
    });
    expect(cut!.error?.message).toContain(`\`custhub imports resume ${cut!.id}\``);
    expect(cut!.total).toBeLessThan(count);

    const resumed = await resumeImport(hub, cut!.id, { actor: "test", dataDir });
    expect(resumed).toMatchObject({ total: count, succeeded: count, failed: 0 });
    const customers = await hub.db.query<{ n: number }>("SELECT count(*)::int AS n FROM customers");
    expect(customers).toEqual([{ n: count }]);
    await hub.close();
  });
});
