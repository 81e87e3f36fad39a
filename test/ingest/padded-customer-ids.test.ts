/** A CustomerID written with leading zeros (a fixed-width export) names the customer it counts. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalCustomerID } from "../../src/domain/customer.js";
import { importFile } from "../../src/ingest/import-file.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const context: ChangeContext = { actor: "test", channel: "api" };

describe("canonicalCustomerID", () => {
  it.each([
    ["1011", "1011"],
    ["0001011", "1011"],
    [" 01011\n ", "1011"],
    ["0", "0"],
    ["000", "0"],
    [`${"0".repeat(30)}123456789012345678`, "123456789012345678"],
    ["1234567890123456789", "1234567890123456789"], // 19 digits: no customer, kept as given
    ["abc", "abc"],
    [" 12a ", "12a"],
    ["", ""],
  ])("%j is %j", (given, expected) => {
    expect(canonicalCustomerID(given)).toBe(expected);
  });
});

describe.each(engines)("padded CustomerIDs on $name", (engine) => {
  it("an Update, a Merge, the reads and the data-subject requests find the customer a padded CustomerID names", async () => {
    const hub = await engine.freshHub();
    try {
      const ann = await hub.customers.add(
        {
          individual: { names: { FIRST: "Ann" } },
          alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "A" }],
        },
        context,
      );
      const bo = await hub.customers.add(
        {
          individual: { names: { FIRST: "Bo" } },
          alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "B" }],
        },
        context,
      );
      const padded = (id: string) => id.padStart(10, "0");
      const dataDir = tempDir();
      const file = join(dataDir, "padded.xml");
      writeFileSync(
        file,
        `<Customers>
<Customer Action="Update"><CustomerID>${padded(ann.customerID)}</CustomerID><Individual><Name><Name Location="LAST">Lee</Name></Name></Individual></Customer>
<Customer Action="Update"><CustomerID>${padded(ann.customerID)}</CustomerID><Individual><Name><Name Location="FIRST2">Jo</Name></Name></Individual></Customer>
</Customers>
`,
      );
      const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
      expect(summary).toMatchObject({ total: 2, succeeded: 2, failed: 0 });
      // Both changes stand: the second, in the same group, saw the first.
      const state = await hub.customers.getState(padded(ann.customerID));
      expect(state.customerID).toBe(ann.customerID);
      expect(state.individual.names).toMatchObject({ FIRST: "Ann", FIRST2: "Jo", LAST: "Lee" });
      expect(JSON.parse((await hub.customers.getJson(padded(ann.customerID))).text)).toMatchObject({
        customerID: ann.customerID,
      });

      const merged = await hub.customers.merge(
        {
          source: { customerID: padded(ann.customerID) },
          targets: [{ customerID: `00${bo.customerID}` }],
        },
        context,
      );
      expect(merged.mergedFrom).toEqual([ann.customerID, bo.customerID]);
      // The data-subject requests take it too.
      const exported = await hub.customers.export(padded(merged.customerID));
      expect(exported.record.customerID).toBe(merged.customerID);
      expect((await hub.customers.erase(padded(merged.customerID), context)).customerID).toBe(
        merged.customerID,
      );
    } finally {
      await hub.close();
    }
  });
});
