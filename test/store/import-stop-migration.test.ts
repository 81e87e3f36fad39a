/**
 * Migration 0015 keeps why an import stopped as the summary gives it: code, message, line and
 * column. Imports recorded before it had the message alone, and a stopped file's copy in failed/
 * recorded as its archived copy; the migration reads them back out.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const migration = readFileSync(
  new URL("../../src/store/migrations/0015_import_stop.sql", import.meta.url),
  "utf8",
);

describe.each(engines)("migration 0015 on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  it("gives imports recorded before it their stop's code, line, column and failed/ copy", async () => {
    // The imports table as 0014 left it, with rows as custhub wrote them then.
    await hub.db.exec(
      `ALTER TABLE imports DROP COLUMN error_code, DROP COLUMN error_line, DROP COLUMN error_column,
                           DROP COLUMN failed_file_path;
       INSERT INTO imports (id, file_name, fileset, channel, status, error, archived_path) VALUES
         (1, 'ok.xml', 'default', 'cli', 'completed', NULL, '/d/complete/default/archived/ok.xml'),
         (2, 'bad.xml', 'default', 'cli', 'failed',
          'Malformed XML: unexpected close tag (line 5, column 96)',
          '/d/complete/default/failed/bad.xml'),
         (3, 'cut.xml', 'default', 'batch', 'failed',
          'Interrupted: the process importing this file stopped before it finished.', NULL),
         (4, 'gone.xml', 'default', 'api', 'failed', 'The file could not be received: EPIPE', NULL);`,
    );
    await hub.db.exec(migration);

    expect(await hub.imports.show("1")).toMatchObject({
      error: null,
      archivedPath: "/d/complete/default/archived/ok.xml",
      failedFilePath: null,
    });
    expect(await hub.imports.show("2")).toMatchObject({
      error: {
        code: "INVALID_REQUEST",
        message: "Malformed XML: unexpected close tag (line 5, column 96)",
        line: 5,
        column: 96,
      },
      archivedPath: null,
      failedFilePath: "/d/complete/default/failed/bad.xml",
    });
    expect((await hub.imports.show("3")).error).toMatchObject({
      code: "IMPORT_INTERRUPTED",
      line: null,
      column: null,
    });
    expect((await hub.imports.show("4")).error).toEqual({
      code: "GENERAL_ERROR",
      message: "The file could not be received: EPIPE",
      line: null,
      column: null,
    });
  });
});
