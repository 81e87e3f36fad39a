import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startIncomingWatcher } from "../../src/ingest/incoming-watcher.js";
import type { ImportSummary } from "../../src/ingest/import-run.js";
import type { Hub } from "../../src/services/hub.js";
import { cutOffImport } from "../support/cut-off-import.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const file = (id: string): string =>
  `<Customers><Customer Action="AddorUpdate"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>${id}</AlternateID></AlternateKey></Customer></Customers>`;

/** A watcher looking every 20 ms, its imports pushed to `imported`, what it passes by to `ignored`. */
const watch = (hub: Hub, dataDir: string, imported: ImportSummary[], ignored?: string[]) =>
  startIncomingWatcher(hub, {
    dataDir,
    intervalMs: 20,
    onImported: (s) => imported.push(s),
    ...(ignored && { onIgnored: (path, reason) => ignored.push(`${path}: ${reason}`) }),
  });

describe.each(engines)("incoming folder watcher on $name", (engine) => {
  it("imports each dropped file once, per fileset, also across a restart and after a crash", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const interrupted = join(dataDir, "incoming", "stores", ".processing");
    mkdirSync(interrupted, { recursive: true });
    // A file a crashed process had taken but not finished.
    writeFileSync(join(interrupted, "crashed.xml"), file("W0"));

    const imported: ImportSummary[] = [];
    let watcher = watch(hub, dataDir, imported);
    await waitFor(async () => imported.length === 1);
    expect(imported[0]).toMatchObject({ file: "crashed.xml", fileset: "stores", succeeded: 1 });

    writeFileSync(join(dataDir, "incoming", "default", "a.xml"), file("W1"));
    writeFileSync(join(dataDir, "incoming", "stores", "b.xml"), file("W2"));
    await waitFor(async () => imported.length === 3);
    await watcher.stop();

    watcher = watch(hub, dataDir, imported);
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

  it("says once of each file beside the filesets, each badly named folder, and each folder or link in a fileset, that it is not taken", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    mkdirSync(join(dataDir, "incoming", "bad name"), { recursive: true });
    writeFileSync(join(dataDir, "incoming", "loose.xml"), file("L1"));
    // Inside a fileset: a folder, and a link to a file elsewhere.
    mkdirSync(join(dataDir, "incoming", "default", "nested"), { recursive: true });
    writeFileSync(join(dataDir, "elsewhere.xml"), file("L3"));
    symlinkSync(join(dataDir, "elsewhere.xml"), join(dataDir, "incoming", "default", "link.xml"));
    const ignored: string[] = [];
    const imported: ImportSummary[] = [];
    const watcher = watch(hub, dataDir, imported, ignored);
    writeFileSync(join(dataDir, "incoming", "default", "ok.xml"), file("L2"));
    // Several looks later (the file in the fileset is taken on the second), each was told once.
    await waitFor(async () => imported.length === 1);
    await watcher.stop();
    expect(ignored.sort()).toEqual([
      `${join(dataDir, "incoming", "bad name")}: a fileset's name is 1-64 letters, digits, '.', '_' or '-'`,
      `${join(dataDir, "incoming", "default", "link.xml")}: links are not followed: put the file itself in the fileset's folder`,
      `${join(dataDir, "incoming", "default", "nested")}: folders in a fileset are not looked into: files go in incoming/<fileset>/ itself`,
      `${join(dataDir, "incoming", "loose.xml")}: a file goes in a fileset's folder: incoming/<fileset>/`,
    ]);
    expect(existsSync(join(dataDir, "incoming", "default", "link.xml"))).toBe(true);
    expect(existsSync(join(dataDir, "incoming", "loose.xml"))).toBe(true);
    await hub.close();
  });

  it("keeps a file it could not start importing (the database refusing) and imports it once it can", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    // The database refuses to record any import: the file can be neither archived nor imported.
    await hub.db.exec(`
      CREATE FUNCTION refuse_imports() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the database is unavailable'; END $$;
      CREATE TRIGGER refuse_imports BEFORE INSERT ON imports
        FOR EACH ROW EXECUTE FUNCTION refuse_imports();`);
    const imported: ImportSummary[] = [];
    const errors: string[] = [];
    const watcher = startIncomingWatcher(hub, {
      dataDir,
      intervalMs: 20,
      onImported: (s) => imported.push(s),
      onError: (error, path) => errors.push(`${path}: ${error.message}`),
    });
    const fileset = join(dataDir, "incoming", "default");
    writeFileSync(join(fileset, "kept.xml"), file("KEPT"));
    await waitFor(async () => errors.length >= 2);
    expect(errors[0]).toContain(join("default", "kept.xml"));
    // Still in hand, not lost: nothing else holds a copy of it.
    expect(existsSync(join(fileset, ".processing", "kept.xml"))).toBe(true);
    expect(existsSync(join(dataDir, "complete", "default", "archived", "kept.xml"))).toBe(false);
    // Another file by that name waits its turn: it does not replace the one kept.
    writeFileSync(join(fileset, "kept.xml"), file("KEPT-2"));
    const tries = errors.length;
    await waitFor(async () => errors.length >= tries + 2);
    expect(existsSync(join(fileset, "kept.xml"))).toBe(true);

    await hub.db.exec("DROP TRIGGER refuse_imports ON imports");
    await waitFor(async () => imported.length === 2);
    await watcher.stop();
    expect(imported).toMatchObject([
      { file: "kept.xml", total: 1, succeeded: 1 },
      { file: "kept.xml", total: 1, succeeded: 1 },
    ]);
    expect(readdirSync(fileset)).toEqual([".processing"]);
    expect(readdirSync(join(fileset, ".processing"))).toEqual([]);
    for (const id of ["KEPT", "KEPT-2"]) {
      await expect(hub.customers.getByAlternateKey("XSTORE_ID", id)).resolves.toBeDefined();
    }
    await hub.close();
  });

  it("lets go, without importing it again, a file whose import completed just before a crash", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const imported: ImportSummary[] = [];
    let watcher = watch(hub, dataDir, imported);
    // Add blocks: importing the file twice would fail them the second time.
    const once = `<Customers><Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>ONCE</AlternateID></AlternateKey></Customer></Customers>`;
    writeFileSync(join(dataDir, "incoming", "default", "once.xml"), once);
    await waitFor(async () => imported.length === 1);
    await watcher.stop();
    // The crash came after the import completed and before the file left .processing/.
    const processing = join(dataDir, "incoming", "default", ".processing");
    writeFileSync(join(processing, "once.xml"), once);

    watcher = watch(hub, dataDir, imported);
    await waitFor(async () => imported.length === 2);
    await watcher.stop();
    expect(imported[1]).toMatchObject({
      importId: imported[0]!.importId,
      succeeded: 1,
      failed: 0,
    });
    expect((await hub.imports.list()).length).toBe(1);
    expect(readdirSync(processing)).toEqual([]);
    await hub.close();
  });

  it("resumes the import a crash left in hand, and only for that same file", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const processing = join(dataDir, "incoming", "default", ".processing");
    mkdirSync(processing, { recursive: true });
    const held = join(processing, "held.xml");
    writeFileSync(
      held,
      `<Customers><Customer Action="Add"><OrgName>Once Ltd</OrgName></Customer>${file("W9").slice("<Customers>".length)}`,
    );
    // The crashed run took the file, applied its first block, and died.
    const crashed = {
      id: await cutOffImport(hub, held, { channel: "watch", dataDir, groupSize: 1 }),
    };

    const imported: ImportSummary[] = [];
    let watcher = watch(hub, dataDir, imported);
    await waitFor(async () => imported.length === 1);
    await watcher.stop();
    expect(imported[0]).toMatchObject({
      importId: crashed!.id,
      resumedBlocks: 1,
      total: 2,
      succeeded: 2,
    });
    // The keyless Add was applied once, by the crashed run.
    expect(await hub.db.query("SELECT count(*)::int AS n FROM customers")).toEqual([{ n: 2 }]);

    // Another file by the same name, left in hand: not the unfinished import's file, so new.
    await hub.imports.finish(crashed!.id, {
      status: "failed",
      error: { code: "GENERAL_ERROR", message: "made unfinished again", line: null, column: null },
      archivedPath: null,
      failedFilePath: null,
      failuresPath: null,
    });
    writeFileSync(held, file("W10"));
    watcher = watch(hub, dataDir, imported);
    await waitFor(async () => imported.length === 2);
    await watcher.stop();
    expect(imported[1]).toMatchObject({ resumedBlocks: 0, total: 1, succeeded: 1 });
    expect(imported[1]!.importId).not.toBe(crashed!.id);
    await hub.close();
  });

  it("takes files through its own .processing that others could write to, made 0700 first", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const processing = join(dataDir, "incoming", "default", ".processing");
    mkdirSync(processing, { recursive: true });
    chmodSync(processing, 0o775);
    writeFileSync(join(dataDir, "incoming", "default", "ok.xml"), file("P3"));
    const imported: ImportSummary[] = [];
    const watcher = watch(hub, dataDir, imported);
    await waitFor(async () => imported.some((s) => s.file === "ok.xml"));
    await watcher.stop();

    expect(imported.map((s) => s.file)).toEqual(["ok.xml"]);
    expect(statSync(processing).mode & 0o777).toBe(0o700);
    await hub.close();
  });

  it("takes nothing through a .processing that is a link to a folder elsewhere, and says so once", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const elsewhere = tempDir();
    writeFileSync(join(elsewhere, "theirs.xml"), file("P1"));
    mkdirSync(join(dataDir, "incoming", "default"), { recursive: true });
    symlinkSync(elsewhere, join(dataDir, "incoming", "default", ".processing"));
    mkdirSync(join(dataDir, "incoming", "other"), { recursive: true });
    writeFileSync(join(dataDir, "incoming", "other", "ok.xml"), file("P2"));
    const ignored: string[] = [];
    const imported: ImportSummary[] = [];
    const watcher = watch(hub, dataDir, imported, ignored);
    // The other fileset's file is taken on the second look: by then each fileset was looked at.
    await waitFor(async () => imported.some((s) => s.file === "ok.xml"));
    await watcher.stop();

    expect(imported.map((s) => s.file)).toEqual(["ok.xml"]);
    expect(readdirSync(elsewhere)).toEqual(["theirs.xml"]);
    expect(ignored).toEqual([
      `${join(dataDir, "incoming", "default", ".processing")}: not a folder of custhub's own (a link, or another user's): nothing in this fileset is taken`,
    ]);
  });
});
