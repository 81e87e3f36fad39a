/**
 * New embedded data dirs are made from a template written once at build time, not by initdb in
 * the process (docs/storage.md, "A new embedded database").
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  startEmbedded,
  writeEmbeddedTemplate,
  wrapEmbedded,
} from "../../src/store/embedded-database.js";
import type * as DatabaseModule from "../../src/store/embedded-database.js";
import { migrate } from "../../src/store/migrate.js";
import { tempDir } from "../support/temp-dirs.js";

describe("the embedded database's template", () => {
  it("makes a new data dir from the template, which then opens as any other", async () => {
    const dir = tempDir();
    const template = join(dir, "template.tar.gz");
    await writeEmbeddedTemplate(template);
    const dataDir = join(dir, "db");

    const first = await startEmbedded(dataDir, { template });
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    const db = await wrapEmbedded(first, { schema: undefined, ownsInstance: true });
    await migrate(db);
    await db.exec("INSERT INTO alternate_key_types (type_code) VALUES ('LOYALTY_ID')");
    await db.close();

    // Opened again, with the template still there: the database is the one written, not a new one.
    const again = await wrapEmbedded(await startEmbedded(dataDir, { template }), {
      schema: undefined,
      ownsInstance: true,
    });
    const rows = await again.query<{ type_code: string }>(
      "SELECT type_code FROM alternate_key_types WHERE type_code = 'LOYALTY_ID'",
    );
    expect(rows).toEqual([{ type_code: "LOYALTY_ID" }]);
    await again.close();
  });

  it("makes one by initdb when there is no template", async () => {
    const dataDir = join(tempDir(), "db");
    const db = await startEmbedded(dataDir, { template: join(dataDir, "missing.tar.gz") });
    expect((await db.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await db.close();
  });

  it("makes a new data dir in a process of its own when run from the compiled code", async () => {
    // dist/ is built before the tests (npm test's pretest); its embedded-database module finds the script.
    const compiled = (await import(
      new URL("../../dist/store/embedded-database.js", import.meta.url).href
    )) as typeof DatabaseModule;
    const dir = tempDir();
    const template = join(dir, "template.tar.gz");
    await writeEmbeddedTemplate(template);
    const dataDir = join(dir, "db");
    const db = await compiled.startEmbedded(dataDir, { template });
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect((await db.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await db.close();

    // A template that is none: the other process's failure is told, naming the data dir.
    const broken = join(dir, "broken.tar.gz");
    writeFileSync(broken, "not a gzipped tar");
    await expect(compiled.startEmbedded(join(dir, "db2"), { template: broken })).rejects.toThrow(
      `Could not make a new embedded database in ${join(dir, "db2")}`,
    );
  });
});
