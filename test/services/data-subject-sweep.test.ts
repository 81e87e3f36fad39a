/**
 * SPEC 9, swept: after `customers erase ID`, no personal value of the customer is left in any text
 * column of any table, and `customers export ID` held each of them before. One customer whose every
 * value is a canary is written through the import and the services (notes, cards, a posted
 * transaction naming it, a merge of a duplicate into it), and its changes are delivered to a
 * receiver that refuses them repeating the request, so that the queues, dead letters, run results
 * and errors carry its data too.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/roles.js";
import { importFile } from "../../src/ingest/import-file.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { DataSync } from "../../src/sync/data-sync.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { testMasterKey, testTuning } from "../sync/helpers.js";

const context: ChangeContext = { actor: "test", channel: "api" };
const sysadmin: Actor = { name: "sweep sysadmin", roles: ["sysadmin"] };

/** Each a word nothing else in custhub says. */
const CANARY = {
  first: "Vexmorwen",
  last: "Quildabranth",
  email: "vexq77@canary.test",
  altKey: "ALTK-Zorbifex",
  oldKey: "ALTK-Oldgrumble",
  note: "Notewhistle",
  hobby: "Plonkerwisp",
  street: "9 Drimbleby Lane",
  dupFirst: "Snorvelina",
  txName: "Fizzlethorpe",
  badValue: "Grumplestiltskin",
} as const;

/** Every text column of the hub's schema: `[table, column]`. */
async function textColumns(hub: Hub): Promise<[string, string][]> {
  const rows = await hub.db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema()
        AND data_type IN ('text', 'json', 'jsonb', 'ARRAY', 'character varying')
      ORDER BY table_name, column_name`,
  );
  return rows.map((row) => [row.table_name, row.column_name]);
}

/** Where each canary still is: `name in table.column`. */
async function traces(hub: Hub, canaries: Record<string, string>): Promise<string[]> {
  const found: string[] = [];
  for (const [table, column] of await textColumns(hub)) {
    const rows = await hub.db.query<{ text: string | null }>(
      `SELECT "${column}"::text AS text FROM "${table}"`,
    );
    for (const [name, value] of Object.entries(canaries)) {
      if (rows.some((row) => row.text?.toLowerCase().includes(value.toLowerCase())))
        found.push(`${name} in ${table}.${column}`);
    }
  }
  return found;
}

/**
 * A receiver that grants a token, then refuses every message repeating it, as a receiver whose
 * refusal names the customer would: `Rejected {"messages":[...`.
 */
async function refusingReceiver(): Promise<{
  url: string;
  requests: number;
  stop(): Promise<void>;
}> {
  const state = { url: "", requests: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      state.requests += 1;
      const body = Buffer.concat(chunks).toString("utf8");
      if (request.url === "/token") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ access_token: "t", token_type: "Bearer", expires_in: 3600 }));
        return;
      }
      // The payload's personal values sit past its first 300 characters: the refusal repeats
      // them from where the record's names start.
      const at = Math.max(0, body.indexOf('\\"name\\"'));
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(`Rejected ${body.slice(at)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get url() {
      return state.url;
    },
    get requests() {
      return state.requests;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(engines)("erasure leaves no personal value anywhere, on $name", (engine) => {
  let receiver: Awaited<ReturnType<typeof refusingReceiver>> | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it("exports every trace of the customer, and erases each", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    receiver = await refusingReceiver();
    for (const [key, value] of Object.entries({
      DataSyncEnabled: "true",
      DataSyncApiUrl: `${receiver.url}/messages`,
      DataSyncTokenUrl: `${receiver.url}/token`,
      DataSyncCredentialKeyName: "datasync",
    })) {
      await hub.settings.set(key, value);
    }
    const dataSync = new DataSync(hub, {
      masterKey: { fromEnvironment: testMasterKey(), keyFile: "/nonexistent/master.key" },
      random: () => 0.5,
      tuning: { ...testTuning, maxAttempts: 1 },
    });
    await dataSync.saveCredentials(sysadmin, { clientId: "sweep", clientSecret: "sweep" });
    await hub.referenceData.addAttributeType({ name: "Hobby", dataType: "TEXT" });
    await hub.referenceData.addAttributeType({
      name: "Tier",
      dataType: "LIST",
      values: ["Silver", "Gold"],
    });

    // Through the import: a good block, and a failing one naming the customer by its key.
    const file = join(dataDir, "sweep.xml");
    writeFileSync(
      file,
      [
        "<Customers>",
        `<Customer Action="Add"><EntityInformation><Individual><Name><Name Location="First">${CANARY.first}</Name><Name Location="Last">${CANARY.last}</Name></Name>` +
          `<ContactInformation><EMail><EMailAddress>${CANARY.email}</EMailAddress></EMail><Address><AddressLine1>${CANARY.street}</AddressLine1></Address></ContactInformation></Individual></EntityInformation>` +
          `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>${CANARY.altKey}</AlternateID></AlternateKey>` +
          `<AlternateKey TypeCode="TWCUSTID"><AlternateID>${CANARY.oldKey}</AlternateID></AlternateKey></Customer>`,
        `<Customer Action="Update"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>${CANARY.altKey}</AlternateID></AlternateKey>` +
          `<CustomAttribute name="Tier"><AttributeValue>${CANARY.badValue}</AttributeValue></CustomAttribute></Customer>`,
        "</Customers>",
      ].join("\n"),
    );
    const imported = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(imported).toMatchObject({ succeeded: 1, failed: 1 });
    const { customerID } = await hub.customers.getByAlternateKey("XSTORE_ID", CANARY.altKey);

    // Through the services: the old key replaced (its row stays inactive), notes, attributes, a
    // card, a transaction naming the customer, and a duplicate merged into it.
    await hub.customers.update(
      {
        customerID,
        alternateKeys: [{ typeCode: "TWCUSTID", alternateID: CANARY.oldKey, updateType: "DELETE" }],
        customAttributes: [{ name: "Hobby", values: [CANARY.hobby] }],
        notes: [{ text: CANARY.note }],
      },
      context,
    );
    await hub.cards.add({ cardNumber: "SWEEP-CARD-1" });
    await hub.cards.associate({ cardNumber: "SWEEP-CARD-1", customerID }, context);
    await hub.transactions.post(
      {
        retailTransactionId: "SWEEP-T-1",
        customerId: customerID,
        businessDate: "2026-03-01",
        subtotal: 10,
        notes: `for ${CANARY.txName} ${CANARY.email}`,
        lineItems: [{ lineItemTypeCode: "Sale", quantity: 1 }],
      },
      context,
    );
    const duplicate = await hub.customers.add(
      { individual: { names: { FIRST: CANARY.dupFirst, LAST: CANARY.last } } },
      context,
    );
    await hub.customers.merge(
      { source: { customerID }, targets: [{ customerID: duplicate.customerID }] },
      context,
    );
    const survivor = (await hub.customers.getState(duplicate.customerID)).mergedInto;
    expect(survivor).toBeDefined();

    // A transaction of the merged customer, queued: its message carries the PosLog JSON.
    await hub.transactions.post(
      {
        retailTransactionId: "SWEEP-T-2",
        customerId: survivor,
        businessDate: "2026-03-02",
        subtotal: 5,
        notes: `again ${CANARY.txName}`,
        lineItems: [{ lineItemTypeCode: "Sale", quantity: 1 }],
      },
      context,
    );

    // The receiver refuses every message, repeating it: dead letters, run results, errors.
    await dataSync.destinations.run(sysadmin, "datasync", { trigger: "manual" });
    expect(receiver.requests).toBeGreaterThan(1);
    const before = await traces(hub, CANARY);
    expect(before.length).toBeGreaterThan(10);

    // The export holds every canary the database holds (the duplicates' too: merged in). A key
    // deleted and a value refused are held nowhere but in the import's files.
    const exported = JSON.stringify(await hub.customers.export(survivor!));
    const held = new Set(before.map((trace) => trace.split(" ")[0]));
    expect([...held].sort()).toEqual(
      Object.keys(CANARY)
        .filter((name) => name !== "oldKey" && name !== "badValue")
        .sort(),
    );
    // Every message still held about it, of its transactions too, dead letters included.
    expect(
      (await hub.customers.export(survivor!)).queuedMessages.map((message) => [
        message.queue,
        message.objName,
        message.action,
      ]),
    ).toEqual([
      ["dead-letter", "Customer", "CREATE"],
      // The transaction posted before the merge, which brought it to the survivor with its
      // message, then the one posted after.
      ["dead-letter", "Transaction", "CREATE"],
      ["dead-letter", "Transaction", "CREATE"],
      // The transaction's effect on the customer's summaries.
      ["dead-letter", "Customer", "UPDATE"],
    ]);
    const held2 = await hub.customers.export(survivor!);
    // Its key rows, the retired duplicates' inactive ones too.
    expect(
      held2.mergedCustomers
        .flatMap((merged) => merged.alternateKeyRows)
        .filter((row) => row.alternateID === CANARY.altKey),
    ).toEqual([{ typeCode: "XSTORE_ID", alternateID: CANARY.altKey, active: false }]);
    // And the receivers' words about it: with its dead letters, and with its run results.
    expect(held2.queuedMessages.some((message) => message.lastError?.includes(CANARY.first))).toBe(
      true,
    );
    expect(
      held2.runResults.some(
        (result) => result.uniqueId === survivor && result.error?.includes(CANARY.first),
      ),
    ).toBe(true);
    const missing = Object.entries(CANARY)
      .filter(([name]) => held.has(name))
      .filter(([, value]) => !exported.toLowerCase().includes(value.toLowerCase()))
      .map(([name]) => name);
    expect(missing).toEqual([]);

    const erased = await hub.customers.erase(survivor!, context);
    expect(await traces(hub, CANARY)).toEqual([]);
    expect(erased.mergedCustomers.sort()).toEqual([customerID, duplicate.customerID].sort());
    // What custhub does not edit, it names: the import's archived copy and its failures file.
    expect(erased.importFiles.map((held) => [held.importId, held.path])).toEqual([
      [imported.importId, imported.archivedPath],
      [imported.importId, imported.failuresPath],
    ]);
    const after = JSON.stringify(await hub.customers.export(survivor!));
    expect(Object.values(CANARY).filter((value) => after.includes(value))).toEqual([]);
    // A retired duplicate erased on its own names the customer its data went to.
    expect(await hub.customers.erase(customerID, context)).toMatchObject({
      customerID,
      mergedCustomers: [],
      mergedInto: survivor,
    });
  });
});
