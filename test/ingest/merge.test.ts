import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const context: ChangeContext = { actor: "test", channel: "api" };
const example = new URL("../fixtures/xml/merge-customers.xml", import.meta.url).pathname;

const tag = (type: string, id: string) =>
  `<AlternateKey TypeCode="${type}"><AlternateID>${id}</AlternateID></AlternateKey>`;

/** Imports `blocks` under `<Customers>`; expects the first refused (`codes`), the second merged. */
async function importMerges(
  hub: Hub,
  dataDir: string,
  blocks: string[],
  codes = ["MERGE_CUSTOMER_CREATION_EXCEPTION"],
) {
  const file = join(dataDir, "merges.xml");
  writeFileSync(file, `<Customers>\n${blocks.join("\n")}\n</Customers>\n`);
  const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
  expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
  const review = await hub.imports.show(summary.importId);
  expect(review.rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual([[1, codes]]);
  return review;
}

async function duplicates(hub: Hub) {
  await hub.referenceData.addAttributeType({ name: "COLOR", dataType: "TEXT" });
  const add = (request: Parameters<Hub["customers"]["add"]>[0]) =>
    hub.customers.add(request, context);
  const a = await add({
    signupDate: "2010-05-01",
    retailStoreID: "101",
    individual: {
      names: { FIRST: "Ann", LAST: "Old" },
      birthDate: "1970-01-02",
      emails: [{ emailAddress: "ann@old.example" }],
    },
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "A" }],
    customAttributes: [{ name: "COLOR", values: ["red"] }],
    notes: [{ text: "from A" }],
  });
  const b = await add({
    signupDate: "2008-03-03",
    individual: { names: { FIRST: "Annie", LAST: "Older" } },
    alternateKeys: [
      { typeCode: "TWCUSTID", alternateID: "B" },
      { typeCode: "EMAIL", alternateID: "ann@b.example" },
    ],
    customAttributes: [{ name: "COLOR", values: ["blue"] }],
  });
  const c = await add({
    signupDate: "2015-01-01",
    retailStoreID: "303",
    affiliation: { retailStoreID: "303" },
    individual: {
      names: { FIRST: "Ann", LAST: "Current" },
      addresses: [
        { typeCode: "HOME", primaryFlag: true, addressLine1: "1 New St", postalCode: "44139" },
      ],
    },
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "C" }],
    customAttributes: [{ name: "COLOR", values: ["red"] }],
  });
  return { a, b, c };
}

describe.each(engines)("customer merge on $name", (engine) => {
  it("imports the document's Merge example: a new customer by the merge logic, the duplicates retired", async () => {
    const hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", true);
    const { a, b, c } = await duplicates(hub);
    await hub.cards.add({ cardNumber: "CARD-A" });
    await hub.cards.associate({ cardNumber: "CARD-A", customerID: a.customerID }, context);

    const summary = await importFile(hub, example, {
      channel: "cli",
      actor: "test",
      dataDir: tempDir(),
    });
    expect(summary).toMatchObject({
      total: 1,
      succeeded: 1,
      byAction: { Merge: { succeeded: 1, failed: 0 } },
    });

    const merged = await hub.customers.getByAlternateKey("TWCUSTID", "A");
    expect([a.customerID, b.customerID, c.customerID]).not.toContain(merged.customerID);
    const state = await hub.customers.getState(merged.customerID);
    // From the source (C): name, addresses, home location.
    expect(state.individual.names).toMatchObject({ FIRST: "Ann", LAST: "Current" });
    expect(state.individual.addresses.map((address) => address.addressLine1)).toEqual(["1 New St"]);
    expect(state.individual.emails).toEqual([]);
    expect(state.homeRetailStoreID).toBe("303");
    // Birthday: the source's, or any when the source has none.
    expect(state.individual.birthDate).toBe("1970-01-02");
    // From every duplicate: keys, attributes, cards, notes.
    expect(state.alternateKeys.map((key) => `${key.typeCode}:${key.alternateID}`).sort()).toEqual([
      "EMAIL:ann@b.example",
      "TWCUSTID:A",
      "TWCUSTID:B",
      "TWCUSTID:C",
    ]);
    expect(state.customAttributes).toEqual([{ name: "COLOR", values: ["red", "blue"] }]);
    expect(state.cards.map((card) => card.cardNumber)).toEqual(["CARD-A"]);
    expect((await hub.cards.get("CARD-A")).customerID).toBe(merged.customerID);
    expect(state.notes.map((note) => note.text)).toEqual(["from A"]);
    // Signup: the earliest of the duplicates that have both a date and a location.
    expect([state.signupDate, state.retailStoreID]).toEqual(["2010-05-01", "101"]);
    expect(state.mergedFrom?.sort()).toEqual([a.customerID, b.customerID, c.customerID].sort());
    for (const old of [a, b, c]) {
      const retired = await hub.customers.getState(old.customerID);
      expect(retired).toMatchObject({
        active: false,
        mergedInto: merged.customerID,
        alternateKeys: [],
      });
      expect((await readCustomerPending(hub.db, old.customerID)).map((row) => row.action)).toEqual([
        "DELETE",
      ]);
    }
    expect((await readCustomerPending(hub.db, merged.customerID)).map((row) => row.action)).toEqual(
      ["CREATE"],
    );
  });

  it("refuses the document's Merge example imported again, saying its customers are merged already", async () => {
    const hub = await engine.freshHub();
    await duplicates(hub);
    const options = { channel: "cli" as const, actor: "test", dataDir: tempDir() };
    expect(await importFile(hub, example, options)).toMatchObject({ succeeded: 1 });
    const merged = await hub.customers.getByAlternateKey("TWCUSTID", "A");

    const again = await importFile(hub, example, options);
    expect(again).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect((await hub.imports.show(again.importId)).rows[0]).toMatchObject({
      errorCodes: ["MERGE_CUSTOMER_CREATION_EXCEPTION"],
      message: `The source TWCUSTID key, target 1 TWCUSTID key and target 2 TWCUSTID key name the same customer, ${merged.customerID} (the result of an earlier merge: they are merged already).`,
    });
    await hub.close();
  });

  it("chooses a source by the duplicate customer rules when none is given, and refuses bad merges", async () => {
    const hub = await engine.freshHub();
    const { a, b, c } = await duplicates(hub);
    const merged = await hub.customers.merge(
      {
        targets: [
          { customerID: b.customerID },
          { alternateKey: { typeCode: "TWCUSTID", alternateID: "A" } },
        ],
      },
      context,
    );
    // LAST_ACTIVITY ties; A has an email, B has none: A is the source.
    expect((await hub.customers.getState(merged.customerID)).individual.names.LAST).toBe("Old");
    expect(merged.mergedFrom.sort()).toEqual([a.customerID, b.customerID].sort());

    const refusals: [Parameters<Hub["customers"]["merge"]>[0], string][] = [
      [{ targets: [{ customerID: c.customerID }] }, "MERGE_CUSTOMER_CREATION_EXCEPTION"],
      [
        { source: { customerID: c.customerID }, targets: [{ customerID: c.customerID }] },
        "MERGE_CUSTOMER_CREATION_EXCEPTION",
      ],
      [
        { source: { customerID: c.customerID }, targets: [{ customerID: a.customerID }] },
        "CUSTOMER_NOT_FOUND",
      ],
      [
        {
          source: { customerID: c.customerID },
          targets: [{ alternateKey: { typeCode: "TWCUSTID", alternateID: "Z" } }],
        },
        "CUSTOMER_NOT_FOUND",
      ],
    ];
    for (const [request, code] of refusals) {
      await expect(hub.customers.merge(request, context)).rejects.toMatchObject({ code });
    }
    expect((await hub.customers.getState(c.customerID)).active).toBe(true);
  });

  it("takes an empty <MergeSource/> as no source given: the duplicate customer rules choose one, and the empty tag is warned of", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b } = await duplicates(hub);
    const file = join(dataDir, "no-source.xml");
    writeFileSync(
      file,
      `<Customers>\n<Customer Action="Merge"><MergeSource/><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget><MergeTarget>${tag("TWCUSTID", "B")}</MergeTarget></MergeTargetSet></Customer>\n</Customers>\n`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0, warnings: 1 });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => [row.outcome, row.errorCodes])).toEqual([
      ["warning", ["EMPTY_XML_TAG"]],
    ]);
    for (const retired of [a, b]) {
      expect((await hub.customers.getState(retired.customerID)).active).toBe(false);
    }
  });

  it("refuses a block with two MergeSource records, reads a target's key in the field table's form, and keeps the earliest create date", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b, c } = await duplicates(hub);
    // Customer A was created first; its row's create date is set a year back to make it plain.
    await hub.db.query(
      "UPDATE customers SET created_at = created_at - interval '1 year' WHERE customer_id = $1::bigint",
      [a.customerID],
    );
    await importMerges(hub, dataDir, [
      `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "C")}</MergeSource><MergeSource>${tag("TWCUSTID", "B")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget></MergeTargetSet></Customer>`,
      `<Customer Action="Merge"><MergeSource><CustomerID>${c.customerID}</CustomerID></MergeSource><MergeTargetSet><MergeTarget><AlternateKey TypeCode="TWCUSTID"><AlternateKey>A</AlternateKey></AlternateKey></MergeTarget></MergeTargetSet></Customer>`,
    ]);
    // The second block merged C and A; B, named only by the refused block, is as it was.
    expect((await hub.customers.getState(b.customerID)).active).toBe(true);
    const merged = await hub.customers.getByAlternateKey("TWCUSTID", "A");
    expect(merged.customerID).not.toBe(a.customerID);
    const [dates] = await hub.db.query<{ merged: string; earliest: string }>(
      `SELECT (SELECT created_at::text FROM customers WHERE customer_id = $1::bigint) AS merged,
              (SELECT created_at::text FROM customers WHERE customer_id = $2::bigint) AS earliest`,
      [merged.customerID, a.customerID],
    );
    expect(dates!.merged).toBe(dates!.earliest);
    await hub.close();
  });

  it("refuses a merge party named by two alternate keys, naming both lines", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b, c } = await duplicates(hub);
    const review = await importMerges(
      hub,
      dataDir,
      [
        // The source's two keys name two customers: which one is the source is the file's to say.
        `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "A")}\n${tag("TWCUSTID", "B")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "C")}</MergeTarget></MergeTargetSet></Customer>`,
        `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "C")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "B")}</MergeTarget></MergeTargetSet></Customer>`,
      ],
      ["GENERAL_ERROR", "INVALID_REQUEST"],
    );
    expect(review.rows[0]!.message).toBe(
      "<MergeSource> (line 2) has two <AlternateKey> elements (lines 2 and 3); only one is allowed.",
    );
    // A is as it was: the refused block merged no one.
    expect((await hub.customers.getState(a.customerID)).active).toBe(true);
    for (const merged of [b, c]) {
      expect((await hub.customers.getState(merged.customerID)).active).toBe(false);
    }
    // A target's key written in both forms, the example's <AlternateID> and the field table's
    // <AlternateKey>, is refused the same way.
    const both = join(dataDir, "both.xml");
    writeFileSync(
      both,
      `<Customers><Customer Action="Merge"><MergeSource><CustomerID>${a.customerID}</CustomerID></MergeSource><MergeTargetSet><MergeTarget><AlternateKey TypeCode="TWCUSTID"><AlternateID>B</AlternateID><AlternateKey>C</AlternateKey></AlternateKey></MergeTarget></MergeTargetSet></Customer></Customers>`,
    );
    const refused = await importFile(hub, both, { channel: "cli", actor: "test", dataDir });
    expect(refused).toMatchObject({ total: 1, failed: 1 });
    expect((await hub.imports.show(refused.importId)).rows[0]).toMatchObject({
      errorCodes: ["GENERAL_ERROR", "INVALID_REQUEST"],
      message:
        "<AlternateKey> (line 1) has both an <AlternateID> and an <AlternateKey>; only one is allowed.",
    });
    expect((await hub.customers.getState(a.customerID)).active).toBe(true);
    await hub.close();
  });

  it("says of a party not found by its CustomerID that it was merged away, or deleted", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b, c } = await duplicates(hub);
    const d = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "D" }] },
      context,
    );
    const ab = await hub.customers.merge(
      { source: { customerID: a.customerID }, targets: [{ customerID: b.customerID }] },
      context,
    );
    await hub.customers.delete({ customerID: c.customerID }, context);
    const byId = (role: string, id: string) => `<${role}><CustomerID>${id}</CustomerID></${role}>`;
    const file = join(dataDir, "gone.xml");
    writeFileSync(
      file,
      `<Customers>
<Customer Action="Merge">${byId("MergeSource", d.customerID)}<MergeTargetSet>${byId("MergeTarget", b.customerID)}</MergeTargetSet></Customer>
<Customer Action="Merge">${byId("MergeSource", c.customerID)}<MergeTargetSet>${byId("MergeTarget", d.customerID)}</MergeTargetSet></Customer>
</Customers>
`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 2, failed: 2 });
    const rows = (await hub.imports.show(summary.importId)).rows;
    expect(rows.map((row) => [row.errorCodes, row.message])).toEqual([
      [
        ["CUSTOMER_NOT_FOUND"],
        `No active customer matches the target 1 CustomerID ${b.customerID}: it was merged into customer ${ab.customerID}.`,
      ],
      [
        ["CUSTOMER_NOT_FOUND"],
        `No active customer matches the source CustomerID ${c.customerID}: it was deleted.`,
      ],
    ]);
    await hub.close();
  });

  it("merges the targets of every MergeTargetSet, and refuses a MergeTarget outside one", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b, c } = await duplicates(hub);
    const review = await importMerges(hub, dataDir, [
      `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "C")}</MergeSource><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "B")}</MergeTarget></MergeTargetSet></Customer>`,
      `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "C")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget></MergeTargetSet><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "B")}</MergeTarget></MergeTargetSet></Customer>`,
    ]);
    expect(review.rows[0]!.message).toMatch(/outside <MergeTargetSet>/);
    expect(review.rows[0]!.key).toBe("TWCUSTID:C");
    // With no source and no set, the refused block is named by its first target.
    const strays = join(dataDir, "strays.xml");
    writeFileSync(
      strays,
      `<Customers><Customer Action="Merge"><MergeTarget>${tag("TWCUSTID", "D")}</MergeTarget><MergeTarget>${tag("TWCUSTID", "E")}</MergeTarget></Customer></Customers>`,
    );
    const refused = await importFile(hub, strays, { channel: "cli", actor: "test", dataDir });
    expect((await hub.imports.show(refused.importId)).rows.map((row) => row.key)).toEqual([
      "TWCUSTID:D",
    ]);
    // The second block merged all three: none of them is active any more.
    for (const duplicate of [a, b, c]) {
      expect((await hub.customers.getState(duplicate.customerID)).active).toBe(false);
    }
    const merged = await hub.customers.getByAlternateKey("TWCUSTID", "B");
    expect((await hub.customers.getByAlternateKey("TWCUSTID", "A")).customerID).toBe(
      merged.customerID,
    );
    await hub.close();
  });

  it("finds no one by a key type not in the managed list, says so, and lets the merge override decide", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { c } = await duplicates(hub);
    await hub.cards.add({ cardNumber: "7100000000000001" });
    const review = await importMerges(
      hub,
      dataDir,
      [
        `<Customer Action="Merge"><MergeSource>${tag("NOPE", "K9")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget></MergeTargetSet></Customer>`,
        `<Customer Action="Merge"><MergeSource>${tag("TWCUSTID", "C")}</MergeSource><MergeTargetSet><MergeTarget>${tag("TWCUSTID", "A")}</MergeTarget></MergeTargetSet></Customer>`,
      ],
      ["CUSTOMER_NOT_FOUND"],
    );
    expect(review.rows[0]!.message).toMatch(
      /source NOPE key \(alternate key type NOPE is not in the managed list/,
    );
    const file = join(dataDir, "cards.xml");
    writeFileSync(
      file,
      `<ActivateInstrumentCustomerRequest><Instrument><CardNumber>7100000000000001</CardNumber><Customer>${tag("NOTYPE", "X")}</Customer></Instrument></ActivateInstrumentCustomerRequest>`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 1, failed: 1 });
    const [row] = (await hub.imports.show(summary.importId)).rows;
    expect(row!.errorCodes).toEqual(["CUSTOMER_NOT_FOUND"]);
    expect(row!.message).toMatch(/NOTYPE is not in the managed list/);
    expect((await hub.customers.getState(c.customerID)).active).toBe(false);
    // With "Customer Merge Override: if the customer is not found" set to SKIP, such a party is
    // left out like any other not found, and the merge goes on.
    await hub.settings.set("CustomerMergeOverrideNotFound", "SKIP");
    const a2 = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "A2" }] },
      context,
    );
    const b2 = await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "B2" }] },
      context,
    );
    const merged = await hub.customers.merge(
      {
        source: { customerID: a2.customerID },
        targets: [
          { customerID: b2.customerID },
          { alternateKey: { typeCode: "BOGUS", alternateID: "1" } },
        ],
      },
      context,
    );
    expect(merged.mergedFrom).toEqual([a2.customerID, b2.customerID]);
    expect(merged.skipped).toEqual([
      {
        role: "target 2",
        customerID: null,
        reason: "NOT_FOUND",
        named: expect.stringMatching(
          /^target 2 BOGUS key \(alternate key type BOGUS is not in the managed list/,
        ),
      },
    ]);
    await hub.close();
  });

  it("follows the merge settings: the merge limit, and retaining all email addresses", async () => {
    const hub = await engine.freshHub();
    const { a, b, c } = await duplicates(hub);
    await hub.settings.set("DuplicateCustomerMergeLimit", "2");
    const everyone = {
      source: { customerID: c.customerID },
      targets: [{ customerID: a.customerID }, { customerID: b.customerID }],
    };
    await expect(hub.customers.merge(everyone, context)).rejects.toMatchObject({
      code: "MERGE_CUSTOMER_CREATION_EXCEPTION",
    });
    await hub.settings.set("DuplicateCustomerMergeLimit", "3");
    await hub.settings.set("CustomerMergeEmailAddress", "all");
    await hub.settings.set("CustomerMergeContactPermissions", "NO");
    await expect(hub.settings.set("CustomerMergeMailAddress", "SOMETIMES")).rejects.toMatchObject({
      code: "INVALID_SETTING",
    });
    await expect(
      hub.settings.set("DuplicateCustomerRules", "HAS_CARD,NEWEST"),
    ).rejects.toMatchObject({ code: "INVALID_SETTING" });
    const merged = await hub.customers.merge(everyone, context);
    const state = await hub.customers.getState(merged.customerID);
    expect(state.individual.emails.map((email) => email.emailAddress)).toEqual(["ann@old.example"]);
  });

  it("follows the Customer Merge Override and Customer Merge - Attributes settings", async () => {
    const hub = await engine.freshHub();
    const { a, b, c } = await duplicates(hub);
    await hub.cards.add({ cardNumber: "CARD-B" });
    await hub.cards.associate({ cardNumber: "CARD-B", customerID: b.customerID }, context);
    await hub.settings.set("CustomerMergeOverrideHasCards", "SKIP");
    await hub.settings.set("CustomerMergeOverrideNotFound", "SKIP");
    await hub.settings.set("CustomerMergeAttributes", "COLOR");
    const merged = await hub.customers.merge(
      {
        source: { customerID: c.customerID },
        targets: [
          { customerID: a.customerID },
          { customerID: b.customerID },
          { customerID: "999999" },
        ],
      },
      context,
    );
    expect(merged.mergedFrom).toEqual([c.customerID, a.customerID]);
    expect(merged.skipped.map((skip) => `${skip.role}:${skip.reason}`)).toEqual([
      "target 2:HAS_CARDS",
      "target 3:NOT_FOUND",
    ]);
    // B, holding a card, stays as it was.
    expect((await hub.customers.getState(b.customerID)).active).toBe(true);
    const state = await hub.customers.getState(merged.customerID);
    expect(state.customAttributes).toEqual([{ name: "COLOR", values: ["red"] }]);
    await hub.settings.set("CustomerMergeOverrideHasCards", "FAIL");
    await expect(
      hub.customers.merge(
        { source: { customerID: b.customerID }, targets: [{ customerID: merged.customerID }] },
        context,
      ),
    ).rejects.toMatchObject({ code: "MERGE_CUSTOMER_CREATION_EXCEPTION" });
    await hub.close();
  });

  it("warns in the review of the customers the Customer Merge Override left out of a file's merge", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { a, b, c } = await duplicates(hub);
    await hub.cards.add({ cardNumber: "CARD-B" });
    await hub.cards.associate({ cardNumber: "CARD-B", customerID: b.customerID }, context);
    await hub.settings.set("CustomerMergeOverrideHasCards", "SKIP");
    await hub.settings.set("CustomerMergeOverrideNotFound", "SKIP");
    const target = (id: string) => `<MergeTarget><CustomerID>${id}</CustomerID></MergeTarget>`;
    const file = join(dataDir, "skipping-merge.xml");
    writeFileSync(
      file,
      `<Customers><Customer Action="Merge"><MergeSource><CustomerID>${c.customerID}</CustomerID></MergeSource>` +
        `<MergeTargetSet>${target(a.customerID)}${target(b.customerID)}${target("999999")}</MergeTargetSet>` +
        `</Customer></Customers>`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ succeeded: 1, failed: 0, warnings: 1 });
    const [row] = (await hub.imports.show(summary.importId)).rows;
    expect(row).toMatchObject({ outcome: "warning", errorCodes: ["MERGE_PARTY_SKIPPED"] });
    expect(row!.message).toBe(
      `The Customer Merge Override left out the target 2 (CustomerID ${b.customerID}): HAS_CARDS. ` +
        "The Customer Merge Override left out the target 3 CustomerID 999999: NOT_FOUND.",
    );
    await hub.close();
  });

  it("applies the blocks around a merge in file order: a block after the merge sees its result", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const key = (id: string) =>
      `<AlternateKey TypeCode="TWCUSTID"><AlternateID>${id}</AlternateID></AlternateKey>`;
    const born = (date: string) =>
      `<EntityInformation><Individual><PersonalSummary><BirthDate>${date}</BirthDate></PersonalSummary></Individual></EntityInformation>`;
    const file = join(dataDir, "around-merge.xml");
    writeFileSync(
      file,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>
  <Customer Action="Add">${born("1961-01-01")}${key("TARGET")}</Customer>
  <Customer Action="Add">${born("1972-02-02")}${key("SOURCE")}</Customer>
  <Customer Action="Merge"><MergeSource>${key("SOURCE")}</MergeSource><MergeTargetSet><MergeTarget>${key("TARGET")}</MergeTarget></MergeTargetSet></Customer>
  <Customer Action="Update">${key("TARGET")}${born("1983-03-03")}</Customer>
</Customers>\n`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0 });
    // The merged customer holds TARGET once the merge is done, so the Update written after the
    // merge changes it; the source's birthday is the merged one's until then.
    const merged = await hub.customers.getState(
      (await hub.customers.getByAlternateKey("TWCUSTID", "TARGET")).customerID,
    );
    expect(merged.mergedFrom).toHaveLength(2);
    expect(merged.individual.birthDate).toBe("1983-03-03");
    await hub.close();
  });
});
