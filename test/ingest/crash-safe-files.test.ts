/**
 * The files an import writes (its archived copy, its failures file, a malformed file's copy in
 * failed/) appear whole or not at all, whatever step a crash cuts: a run is stopped dead at a
 * known step (it never goes on, and none of its clean-up runs, as after a SIGKILL), a process is
 * started anew on the same database, and `serve --watch` takes up the file the crash left in hand
 * (docs/import.md, "What a crash leaves").
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { ImportSummary } from "../../src/ingest/import-run.js";
import { startIncomingWatcher } from "../../src/ingest/incoming-watcher.js";
import type { Hub } from "../../src/services/hub.js";
import { engines, type Engine } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const key = (id: string) =>
  `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>${id}</AlternateID></AlternateKey>`;
// Keyless Adds: applied twice, each would be a second customer.
const add = (name: string) => `<Customer Action="Add"><OrgName>${name}</OrgName></Customer>`;
const missing = (id: string) => `<Customer Action="Delete">${key(id)}</Customer>`;

/** A file of `blocks`, long enough that a copy cut in half is plainly cut. */
const document = (blocks: readonly string[], end = "</Customers>\n"): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n${blocks.join("\n")}\n${end}`;

/** Every name in a folder, the hidden ones too; none when it does not exist. */
const names = (folder: string): string[] => {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
};

/** The files a reader of the folder takes for the import's: names not starting with `.`. */
const shown = (folder: string): string[] => names(folder).filter((name) => !name.startsWith("."));

/** A run that never ends: the test goes on as if its process had died there. */
const forever = (): Promise<never> => new Promise<never>(() => undefined);

interface Setting {
  hub: Hub;
  dataDir: string;
  /** The file in `.processing/`, as the watcher holds it while importing it. */
  held: string;
  archived: string;
  failed: string;
}

async function setting(engine: Engine, text: string): Promise<Setting> {
  const hub = await engine.freshHub();
  const dataDir = tempDir();
  const processing = join(dataDir, "incoming", "default", ".processing");
  mkdirSync(processing, { recursive: true });
  const held = join(processing, "held.xml");
  writeFileSync(held, text);
  return {
    hub,
    dataDir,
    held,
    archived: join(dataDir, "complete", "default", "archived"),
    failed: join(dataDir, "complete", "default", "failed"),
  };
}

/** The watcher's import of the held file, started and left to run (or to hang). */
function watchImport(set: Setting, groupSize?: number): void {
  void importFile(set.hub, set.held, {
    fileset: "default",
    channel: "watch",
    actor: "watch",
    dataDir: set.dataDir,
    resumeUnfinished: true,
    ...(groupSize ? { groupSize } : {}),
  }).catch(() => undefined);
}

/** A new process on the same database and data dir runs `serve --watch` until a file is done. */
async function restartWatching(engine: Engine, set: Setting): Promise<Hub> {
  const hub = await engine.restart(set.hub);
  const imported: ImportSummary[] = [];
  const errors: string[] = [];
  const watcher = startIncomingWatcher(hub, {
    dataDir: set.dataDir,
    intervalMs: 20,
    onImported: (summary) => imported.push(summary),
    onError: (error) => errors.push(error.message),
  });
  await waitFor(async () => imported.length + errors.length >= 1);
  await watcher.stop();
  expect(errors).toEqual([]);
  expect(imported).toHaveLength(1);
  // Nothing is left in hand, and nothing else was taken as a file to import.
  expect(names(join(set.dataDir, "incoming", "default"))).toEqual([".processing"]);
  expect(names(join(set.dataDir, "incoming", "default", ".processing"))).toEqual([]);
  return hub;
}

async function customers(hub: Hub): Promise<number> {
  const [row] = await hub.db.query<{ n: number }>("SELECT count(*)::int AS n FROM customers");
  return row!.n;
}

/** A well-formed failures file of `count` blocks. */
function expectFailures(path: string, count: number): void {
  const text = readFileSync(path, "utf8");
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n')).toBe(true);
  expect(text.endsWith("</Customers>\n")).toBe(true);
  expect(text.match(/<Customer /g)).toHaveLength(count);
}

/**
 * What a restart must end with: one archived copy of held.xml, one well-formed failures file of
 * `failed` blocks beside nothing else, and `applied` customers, each written once.
 */
async function expectImportedOnce(
  set: Setting,
  hub: Hub,
  { failed, applied }: { failed: number; applied: number },
): Promise<void> {
  expect(names(set.archived)).toEqual(["held.xml"]);
  expect(names(set.failed)).toEqual(["held_failures.xml"]);
  expectFailures(join(set.failed, "held_failures.xml"), failed);
  expect(await customers(hub)).toBe(applied);
}

describe.each(engines)("the import's files across a crash on $name", (engine) => {
  const text = document([
    ...Array.from({ length: 40 }, (_, index) => add(`Org ${index} ${"x".repeat(200)}`)),
    missing("NOBODY"),
  ]);

  it("never shows a copy cut off mid-way as archived, and the restart imports the file once", async () => {
    const set = await setting(engine, text);
    // The watcher's import of the file, its copy cut off half-way by the crash.
    const half = Buffer.from(text).subarray(0, text.length / 2);
    const upload = new Readable({ read: () => undefined });
    upload.push(half);
    void importFile(
      set.hub,
      { stream: upload, fileName: "held.xml" },
      { fileset: "default", channel: "watch", actor: "watch", dataDir: set.dataDir },
    ).catch(() => undefined);
    await waitFor(async () => names(set.archived).some((name) => sizeOf(set.archived, name) > 0));
    expect(shown(set.archived)).toEqual([]);

    const hub = await restartWatching(engine, set);
    await expectImportedOnce(set, hub, { failed: 1, applied: 40 });
    expect(readFileSync(join(set.archived, "held.xml"), "utf8")).toBe(text);
    await hub.close();
  });

  it("removes a copy cut off mid-way when a file by that name is imported again by hand", async () => {
    const set = await setting(engine, text);
    const upload = new Readable({ read: () => undefined });
    upload.push(text.slice(0, text.length / 2));
    void importFile(
      set.hub,
      { stream: upload, fileName: "held.xml" },
      { channel: "cli", actor: "cli", dataDir: set.dataDir },
    ).catch(() => undefined);
    await waitFor(async () => names(set.archived).some((name) => sizeOf(set.archived, name) > 0));

    const hub = await engine.restart(set.hub);
    const summary = await importFile(hub, set.held, {
      channel: "cli",
      actor: "cli",
      dataDir: set.dataDir,
    });
    expect(summary).toMatchObject({ total: 41, succeeded: 40, failed: 1 });
    expect(names(set.archived)).toEqual(["held.xml"]);
    expect(readFileSync(join(set.archived, "held.xml"), "utf8")).toBe(text);
    expect(names(set.failed)).toEqual(["held_failures.xml"]);
    await hub.close();
  });

  it("keeps one archived copy when the crash came after the copy, before the database recorded it", async () => {
    const set = await setting(engine, text);
    const located = vi.spyOn(set.hub.imports, "located").mockImplementation(forever);
    watchImport(set);
    await waitFor(async () => located.mock.calls.length === 1);

    const hub = await restartWatching(engine, set);
    await expectImportedOnce(set, hub, { failed: 1, applied: 40 });
    expect(readFileSync(join(set.archived, "held.xml"), "utf8")).toBe(text);
    await hub.close();
  });

  it("shows the failures file only whole: not while it is written, once when the crash came before the import's end", async () => {
    const failing = document([missing("A"), add("Kept"), missing("B"), add("Also kept")]);
    // Cut while the failures file is written: after the first group, its block failed.
    const during = await setting(engine, failing);
    const record = vi.spyOn(during.hub.imports, "record").mockImplementation(forever);
    watchImport(during, 1);
    await waitFor(async () => record.mock.calls.length === 1);
    expect(shown(during.failed)).toEqual([]);
    let hub = await restartWatching(engine, during);
    await expectImportedOnce(during, hub, { failed: 2, applied: 2 });
    await hub.close();

    // Cut after the failures file is whole, before the database records the import's end.
    const after = await setting(engine, failing);
    const finish = vi.spyOn(after.hub.imports, "finish").mockImplementation(forever);
    watchImport(after);
    await waitFor(async () => finish.mock.calls.length === 1);
    expect(shown(after.failed)).toEqual(["held_failures.xml"]);
    expectFailures(join(after.failed, "held_failures.xml"), 2);
    hub = await restartWatching(engine, after);
    await expectImportedOnce(after, hub, { failed: 2, applied: 2 });
    await hub.close();
  });

  it("keeps one copy of a malformed file in failed/ when the crash came before the import's end", async () => {
    const malformed = document([add("Before"), missing("GONE")], "<Customer>\n</Customers>\n");
    const set = await setting(engine, malformed);
    const finish = vi.spyOn(set.hub.imports, "finish").mockImplementation(forever);
    watchImport(set);
    await waitFor(async () => finish.mock.calls.length === 1);

    const hub = await restartWatching(engine, set);
    expect(names(set.archived)).toEqual(["held.xml"]);
    expect(names(set.failed)).toEqual(["held.xml", "held_failures.xml"]);
    expect(readFileSync(join(set.failed, "held.xml"), "utf8")).toBe(malformed);
    expectFailures(join(set.failed, "held_failures.xml"), 1);
    expect(await customers(hub)).toBe(1);
    await hub.close();
  });
});

function sizeOf(folder: string, name: string): number {
  try {
    return statSync(join(folder, name)).size;
  } catch {
    return 0;
  }
}
