import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const migration = (name: string): string =>
  readFileSync(new URL(`../../src/store/migrations/${name}.sql`, import.meta.url), "utf8");

describe.each(engines)("migration 0006 on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  it("gives customers stored before it the new parts of their document, and runs again harmlessly", async () => {
    const { customerID } = await hub.customers.add(
      { orgName: "Old" },
      { actor: "test", channel: "api" },
    );
    // A document as 0005 left it: jsonb (until 0010), without the new parts.
    await hub.db.exec("ALTER TABLE customers ALTER COLUMN record TYPE jsonb USING record::jsonb");
    await hub.db.query(
      `UPDATE customers SET record = record - 'segments' - 'franchisees' - 'associateAssignments'
                                            - 'yearToDateYear'
        WHERE customer_id = $1::bigint`,
      [customerID],
    );
    await hub.db.exec(migration("0006_customer_operations"));
    await hub.db.exec(migration("0006_customer_operations"));
    // 0010 turns the jsonb document back into text, keeping it.
    await hub.db.exec(migration("0010_customer_record_text"));
    const state = await hub.customers.getState(customerID);
    expect(state).toMatchObject({
      segments: [],
      franchisees: [],
      associateAssignments: [],
      yearToDateYear: null,
    });
    const record = await hub.customers.get(customerID);
    expect(record.customerSegments).toEqual({ segment: [] });
    expect(record.franchisees).toEqual({ franchisee: [] });
    expect(record.associateAssignments).toBeNull();
    // The operations work on it.
    const { segmentId } = await hub.segments.create({ name: "After" });
    const added = await hub.segments.addCustomer(customerID, segmentId, {
      actor: "test",
      channel: "api",
    });
    expect(added.record.customerSegments.segment).toHaveLength(1);
  });
});
