/**
 * A full batch's customer insert is kept prepared on the server connection, unless
 * `preparedStatements` is off (docs/storage.md, "Prepared statements"). Either way the same rows
 * are written. Only a server prepares statements: the embedded database ignores the name.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GROUP_SIZE } from "../../src/services/customer-groups.js";
import type { CustomerOperation } from "../../src/services/customers.js";
import { openHub } from "../../src/services/hub.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const context = { actor: "test", channel: "batch" } as const;

const fullBatch = (name = "Name"): CustomerOperation[] =>
  Array.from({ length: GROUP_SIZE }, (_, index) => ({
    action: "AddorUpdate",
    request: {
      alternateKeys: [{ typeCode: "TWCUSTID", alternateID: `P${index}` }],
      individual: { names: { FIRST: `${name}${index % 7}` } },
    },
  }));

describe.runIf(serverUrl)("prepared statements on postgres", () => {
  it.each([
    { preparedStatements: true, kept: [`custhub_save_customers_${GROUP_SIZE}`] },
    { preparedStatements: false, kept: [] },
  ])("preparedStatements $preparedStatements", async ({ preparedStatements, kept }) => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const hub = await openHub(
      { dataDir: "", databaseUrl: serverUrl, preparedStatements },
      { schema, poolSize: 1 },
    );
    try {
      const created = await hub.customers.applyBatch(fullBatch(), context);
      expect(created.filter((outcome) => outcome.ok && outcome.change === "CREATE")).toHaveLength(
        GROUP_SIZE,
      );
      // The second full batch, changing every customer, runs the statement the first prepared.
      const updated = await hub.customers.applyBatch(fullBatch("Other"), context);
      expect(updated.filter((outcome) => outcome.ok && outcome.change === "UPDATE")).toHaveLength(
        GROUP_SIZE,
      );
      const names = await hub.db.query<{ name: string }>(
        "SELECT name FROM pg_prepared_statements ORDER BY name",
      );
      expect(names.map((row) => row.name)).toEqual(kept);
      expect(await hub.db.query("SELECT count(*)::int AS n FROM customers")).toEqual([
        { n: GROUP_SIZE },
      ]);
    } finally {
      await hub.db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await hub.close();
    }
  });
});
