/**
 * `custhub serve`, at its start, removes what a dead run left in `complete/` of every import no
 * live process runs, whether or not that import is ever resumed or imported again (docs/import.md,
 * "What a crash leaves"), and leaves alone the files of an import a live process runs.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import { openHub, type Hub } from "../../src/services/hub.js";
import { killServers, startServe } from "../support/serve-process.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

afterEach(() => killServers());

const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n<Customer Action="Add"><OrgName>Org</OrgName></Customer>\n</Customers>\n`;

/** Every name in a folder, the hidden ones too; none when it does not exist. */
const names = (folder: string): string[] => {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
};

/** A run that never ends: the test goes on as if its process had died there. */
const forever = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * Starts importing `fileName` and stops it dead once its archived copy is named but before the
 * database records it: the copy under its hidden name and its own. Resolves with the import's id.
 */
async function stopAfterCopy(hub: Hub, dataDir: string, fileName: string): Promise<string> {
  const file = join(dataDir, fileName);
  writeFileSync(file, text);
  const located = vi.spyOn(hub.imports, "located").mockImplementation(forever);
  void importFile(hub, file, { channel: "cli", actor: "cli", dataDir }).catch(() => undefined);
  await waitFor(async () => located.mock.calls.length === 1);
  const [row] = await hub.imports.list(1);
  return row!.id;
}

const where = [
  {
    name: "pglite",
    database: async () => ({ url: undefined, drop: async () => undefined }),
  },
  ...(serverUrl
    ? [
        {
          name: "postgres",
          database: async (): Promise<{ url: string | undefined; drop(): Promise<void> }> =>
            createServerDatabase(),
        },
      ]
    : []),
];

describe.each(where)("custhub serve on $name, starting after a crash", ({ name, database }) => {
  it("removes the hidden files of an import no process runs, and leaves a running import's", async () => {
    const { url, drop } = await database();
    const dataDir = tempDir();
    const archived = join(dataDir, "complete", "default", "archived");
    const config = { dataDir, databaseUrl: url };
    let live: Hub | undefined;
    try {
      // A process that died while it imported crashed.xml; nobody resumes it or imports it again.
      const dead = await openHub(config, { purpose: "test" });
      const crashed = await stopAfterCopy(dead, dataDir, "crashed.xml");
      await dead.close();
      expect(names(archived)).toEqual([`.crashed.xml.${crashed}.partial`, "crashed.xml"]);

      // On a server another process can be importing while serve starts; the embedded database
      // is the one process's alone.
      let running: string | undefined;
      if (name === "postgres") {
        live = await openHub(config, { purpose: "test" });
        running = await stopAfterCopy(live, dataDir, "running.xml");
      }
      const keep = running ? [`.running.xml.${running}.partial`, "running.xml"] : [];
      expect(names(archived)).toEqual(
        [`.crashed.xml.${crashed}.partial`, "crashed.xml", ...keep].sort(),
      );

      const server = await startServe(dataDir, { env: url ? { DATABASE_URL: url } : {} });
      expect(names(archived)).toEqual(keep);
      const swept = server
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { msg: string; importId?: string })
        .filter((line) => /a dead run left/.test(line.msg));
      expect(swept).toEqual([
        expect.objectContaining({
          importId: crashed,
          fileset: "default",
          msg: expect.stringContaining("crashed.xml"),
        }),
      ]);
      expect(await server.stop()).toBe(0);
    } finally {
      await live?.close();
      await drop();
    }
  }, 120_000);
});
