import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const context: ChangeContext = { actor: "test", channel: "api" };
const example = new URL("../fixtures/xml/card-customer-association.xml", import.meta.url);

describe.each(engines)("card customer association on $name", (engine) => {
  it("imports the document's example: cards activated, customers' records list them, pending rows queued", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await hub.settings.set("DataSyncEnabled", true);
    const byId = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "C1" }] },
      context,
    );
    const byKey = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "CARD-HOLDER" }] },
      context,
    );
    await hub.cards.add({
      cardNumber: "6000000000000001",
      instrumentID: "SERIAL-0001",
      program: "LOYALTY",
    });
    await hub.cards.add({ cardNumber: "6000000000000002", expirationDate: "2099-12-31" });
    const file = join(dataDir, "cards.xml");
    writeFileSync(file, readFileSync(example, "utf8").replace("CUSTOMER_ID", byId.customerID));

    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({
      total: 2,
      succeeded: 2,
      failed: 0,
      byAction: { CardCustomerAssociation: { succeeded: 2, failed: 0 } },
    });
    expect(await hub.cards.get("6000000000000001")).toMatchObject({
      status: "ACTIVE",
      customerID: byId.customerID,
    });
    expect((await hub.customers.get(byKey.customerID)).customerCards.instrument).toEqual([
      {
        cardNumber: "6000000000000002",
        instrumentID: null,
        program: null,
        status: "ACTIVE",
        expirationDate: "2099-12-31",
      },
    ]);
    const pending = await readCustomerPending(hub.db, byId.customerID);
    expect(pending.map((row) => row.action)).toEqual(["CREATE", "UPDATE"]);
    expect(JSON.stringify(await hub.db.query("SELECT * FROM customer_history"))).not.toContain(
      "1234",
    );
    expect(readFileSync(summary.archivedPath!, "utf8")).toContain(
      "<AuthenticationData>1234</AuthenticationData>",
    );

    // The same file again: each card is its customer's active card already, so nothing is
    // written, and nothing more is sent.
    const history = async () =>
      (
        await hub.db.query("SELECT 1 FROM customer_history WHERE customer_id = $1::bigint", [
          byId.customerID,
        ])
      ).length;
    const before = await history();
    const again = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(again).toMatchObject({ total: 2, succeeded: 2, failed: 0 });
    expect(await history()).toBe(before);
    expect((await readCustomerPending(hub.db, byId.customerID)).map((row) => row.action)).toEqual([
      "CREATE",
      "UPDATE",
    ]);
    expect((await readCustomerPending(hub.db, byKey.customerID)).map((row) => row.action)).toEqual([
      "CREATE",
      "UPDATE",
    ]);
  });

  it("refuses with CARD_NOT_FOUND, CARD_EXPIRED, ACCOUNT_BLOCKED and CUSTOMER_NOT_FOUND; CustomerID wins over the key", async () => {
    const hub = await engine.freshHub();
    const first = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "K1" }] },
      context,
    );
    const second = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "K2" }] },
      context,
    );
    await hub.cards.add({ cardNumber: "OLD", expirationDate: "2001-01-01" });
    await hub.cards.add({ cardNumber: "BLOCKED" });
    await hub.db.query("UPDATE cards SET status = 'BLOCKED' WHERE card_number = 'BLOCKED'");
    await hub.cards.add({ cardNumber: "GOOD" });
    const refusals: [Parameters<typeof hub.cards.associate>[0], string][] = [
      [{ cardNumber: "NOPE", customerID: first.customerID }, "CARD_NOT_FOUND"],
      [{ cardNumber: "OLD", customerID: first.customerID }, "CARD_EXPIRED"],
      [{ cardNumber: "BLOCKED", customerID: first.customerID }, "ACCOUNT_BLOCKED"],
      [{ cardNumber: "GOOD", customerID: "999999" }, "CUSTOMER_NOT_FOUND"],
      [
        { cardNumber: "GOOD", alternateKey: { typeCode: "XSTORE_ID", alternateID: "NOBODY" } },
        "CUSTOMER_NOT_FOUND",
      ],
    ];
    for (const [request, code] of refusals) {
      await expect(hub.cards.associate(request, context)).rejects.toMatchObject({ code });
    }
    const record = await hub.cards.associate(
      {
        cardNumber: "GOOD",
        customerID: second.customerID,
        alternateKey: { typeCode: "XSTORE_ID", alternateID: "K1" },
      },
      context,
    );
    expect(record.customerID).toBe(second.customerID);
    // Moving the card to another customer takes it off the first one's record.
    await hub.cards.associate({ cardNumber: "GOOD", customerID: first.customerID }, context);
    expect((await hub.customers.get(second.customerID)).customerCards.instrument).toEqual([]);
    expect(
      (await hub.customers.get(first.customerID)).customerCards.instrument.map(
        (card) => card.cardNumber,
      ),
    ).toEqual(["GOOD"]);
    await expect(hub.cards.add({ cardNumber: "GOOD" })).rejects.toMatchObject({
      code: "CARD_ALREADY_EXISTS",
    });
    await expect(
      hub.cards.add({ cardNumber: "X", expirationDate: "2020-02-30" }),
    ).rejects.toMatchObject({ code: "INVALID_DATE_FORMAT" });
  });

  it("moves a card off a deleted customer without sending anything more for that customer", async () => {
    const hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", true);
    const key = (alternateID: string) => ({
      alternateKeys: [{ typeCode: "TWCUSTID", alternateID }],
    });
    const gone = await hub.customers.add(key("GONE"), context);
    const next = await hub.customers.add(key("NEXT"), context);
    await hub.cards.add({ cardNumber: "6000000000000077" });
    await hub.cards.associate(
      { cardNumber: "6000000000000077", customerID: gone.customerID },
      context,
    );
    await hub.customers.delete({ customerID: gone.customerID }, context);
    const before = await hub.customers.history(gone.customerID);

    await hub.cards.associate(
      { cardNumber: "6000000000000077", customerID: next.customerID },
      context,
    );
    // The DELETE stays the deleted customer's last message, and its record is left as it was.
    const pending = await readCustomerPending(hub.db, gone.customerID);
    expect(pending.at(-1)!.action).toBe("DELETE");
    expect(await hub.customers.history(gone.customerID)).toEqual(before);
    const holder = await hub.customers.get(next.customerID);
    expect(holder.customerCards.instrument.map((card) => card.cardNumber)).toEqual([
      "6000000000000077",
    ]);
  });
  it("refuses an <Instrument> that names its card or customer twice, naming both lines", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const key = (alternateID: string) => ({
      alternateKeys: [{ typeCode: "TWCUSTID", alternateID }],
    });
    const first = await hub.customers.add(key("FIRST"), context);
    const second = await hub.customers.add(key("SECOND"), context);
    await hub.cards.add({ cardNumber: "7000000000000001" });
    await hub.cards.add({ cardNumber: "7000000000000002" });
    const customer = (id: string) => `<Customer><CustomerID>${id}</CustomerID></Customer>`;
    const byKey = (alternateID: string) =>
      `<AlternateKey TypeCode="TWCUSTID"><AlternateID>${alternateID}</AlternateID></AlternateKey>`;
    const blocks = [
      // Two card numbers: which card is meant is the sender's to say.
      `<CardNumber>7000000000000001</CardNumber>\n<CardNumber>7000000000000002</CardNumber>${customer(first.customerID)}`,
      // Two customers, two CustomerIDs, two alternate keys.
      `<CardNumber>7000000000000001</CardNumber>${customer(first.customerID)}\n${customer(second.customerID)}`,
      `<CardNumber>7000000000000001</CardNumber><Customer><CustomerID>${first.customerID}</CustomerID>\n<CustomerId>${second.customerID}</CustomerId></Customer>`,
      `<CardNumber>7000000000000001</CardNumber><Customer>${byKey("FIRST")}\n${byKey("SECOND")}</Customer>`,
    ];
    const file = join(dataDir, "twice.xml");
    writeFileSync(
      file,
      `<ActivateInstrumentCustomerRequest>\n${blocks.map((block) => `<Instrument>${block}</Instrument>\n`).join("")}</ActivateInstrumentCustomerRequest>\n`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 4, succeeded: 0, failed: 4 });
    const rows = (await hub.imports.show(summary.importId)).rows;
    expect(rows.map((row) => row.errorCodes)).toEqual(
      blocks.map(() => ["GENERAL_ERROR", "INVALID_REQUEST"]),
    );
    expect(rows.map((row) => row.message)).toEqual([
      "<Instrument> (line 2) has two <CardNumber> elements (lines 2 and 3); only one is allowed.",
      "<Instrument> (line 4) has two <Customer> elements (lines 4 and 5); only one is allowed.",
      "<Customer> (line 6) has two CustomerIDs (<CustomerID> line 6, <CustomerId> line 7); only one is allowed.",
      "<Customer> (line 8) has two <AlternateKey> elements (lines 8 and 9); only one is allowed.",
    ]);
    for (const cardNumber of ["7000000000000001", "7000000000000002"]) {
      expect(await hub.cards.get(cardNumber)).toMatchObject({
        status: "INACTIVE",
        customerID: null,
      });
    }
  });
  it("refuses a card whose program differs from a defined one only in case, so the program checks cannot be slipped", async () => {
    const hub = await engine.freshHub();
    await hub.cards.addProgram({ code: "OLD", kind: "loyalty", active: false });
    await expect(
      hub.cards.add({ cardNumber: "7200000000000001", program: "old" }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message:
        "No card program is called old, but OLD is: program codes are compared exactly, letters' case included.",
      details: { field: "program", program: "old", defined: "OLD" },
    });
    // The defined code, or one no program has, is taken.
    await hub.cards.add({ cardNumber: "7200000000000001", program: "OLD" });
    await hub.cards.add({ cardNumber: "7200000000000002", program: "NEW" });
    const customer = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "PROGRAMS" }] },
      context,
    );
    await expect(
      hub.cards.associate(
        { cardNumber: "7200000000000001", customerID: customer.customerID },
        context,
      ),
    ).rejects.toMatchObject({ code: "PROGRAM_INACTIVE" });
    await hub.close();
  });

  it("refuses a card number and a serial that name different cards with CARD_NOT_FOUND", async () => {
    const hub = await engine.freshHub();
    const holder = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "SERIALS" }] },
      context,
    );
    await hub.cards.add({ cardNumber: "7100000000000001", instrumentID: "SER-1" });
    await hub.cards.add({ cardNumber: "7100000000000002", instrumentID: "SER-2" });
    await hub.cards.add({ cardNumber: "7100000000000003" });
    const customerID = holder.customerID;
    for (const [cardNumber, instrumentID] of [
      ["7100000000000001", "SER-2"], // another card's serial
      ["7100000000000001", "SER-9"], // a serial the card does not have
      ["7100000000000003", "SER-2"], // a card without a serial, and another card's
    ] as const) {
      await expect(
        hub.cards.associate({ cardNumber, instrumentID, customerID }, context),
      ).rejects.toMatchObject({ code: "CARD_NOT_FOUND" });
    }
    for (const cardNumber of ["7100000000000001", "7100000000000002", "7100000000000003"]) {
      expect(await hub.cards.get(cardNumber)).toMatchObject({
        status: "INACTIVE",
        customerID: null,
      });
    }
    // Number and serial of one card, or a serial no card has beside a card without one, agree.
    await hub.cards.associate(
      { cardNumber: "7100000000000001", instrumentID: "SER-1", customerID },
      context,
    );
    await hub.cards.associate(
      { cardNumber: "7100000000000003", instrumentID: "SER-3", customerID },
      context,
    );
    expect(
      (await hub.customers.get(customerID)).customerCards.instrument.map((card) => card.cardNumber),
    ).toEqual(["7100000000000001", "7100000000000003"]);
  });
});
