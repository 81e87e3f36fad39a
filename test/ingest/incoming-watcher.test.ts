import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startIncomingWatcher } from "../../src/ingest/incoming-watcher.js";
import type { ImportSummary } from "../../src/ingest/import-file.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const file = (id: string): string =>
  `<Customers><Customer Action="AddorUpdate"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>${id}</AlternateID></AlternateKey></Customer></Customers>`;

describe.each(engines)("incoming folder watcher on $name", (engine) => {
  it("imports each dropped file once, per fileset, also across a restart and after a crash", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const interrupted = join(dataDir, "incoming", "stores", ".processing");
    mkdirSync(interrupted, { recursive: true });
    // A file a crashed process had taken but not finished.
    writeFileSync(join(interrupted, "crashed.xml"), file("W0"));

    const imported: ImportSummary[] = [];
    let watcher = startIncomingWatcher(hub, {
      dataDir,
      intervalMs: 20,
      onImported: (s) => imported.push(s),
    });
    await waitFor(async () => imported.length === 1);
    expect(imported[0]).toMatchObject({ file: "crashed.xml", fileset: "stores", succeeded: 1 });

    writeFileSync(join(dataDir, "incoming", "default", "a.xml"), file("W1"));
    writeFileSync(join(dataDir, "incoming", "stores", "b.xml"), file("W2"));
    await waitFor(async () => imported.length === 3);
    await watcher.stop();

    watcher = startIncomingWatcher(hub, {
      dataDir,
      intervalMs: 20,
      onImported: (s) => imported.push(s),
    });
    writeFileSync(join(dataDir, "incoming", "default", "c.xml"), file("W3"));
    await waitFor(async () => imported.length === 4);
    await watcher.stop();

    expect(imported.map((s) => `${s.fileset}/${s.file}`).sort()).toEqual([
      "default/a.xml",
      "default/c.xml",
      "stores/b.xml",
      "stores/crashed.xml",
    ]);
    expect((await hub.imports.list()).length).toBe(4);
    for (const fileset of ["default", "stores"]) {
      expect(readdirSync(join(dataDir, "incoming", fileset))).toEqual([".processing"]);
      expect(readdirSync(join(dataDir, "incoming", fileset, ".processing"))).toEqual([]);
    }
    expect(existsSync(join(dataDir, "complete", "stores", "archived", "b.xml"))).toBe(true);
    for (const id of ["W0", "W1", "W2", "W3"]) {
      await expect(hub.customers.getByAlternateKey("XSTORE_ID", id)).resolves.toBeDefined();
    }
  });
});
