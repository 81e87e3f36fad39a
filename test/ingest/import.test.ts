import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import { failuresName } from "../../src/ingest/import-files.js";
import { safeName } from "../../src/ingest/import-names.js";
import { readBlocks } from "../../src/ingest/xml-blocks.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const FIXTURES = new URL("../fixtures/xml/", import.meta.url);
const fixture = (name: string): string => new URL(name, FIXTURES).pathname;

function writeXml(dir: string, name: string, blocks: string[], root = "Customers"): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${blocks.join("\n")}\n</${root}>\n`,
  );
  return path;
}

const key = (type: string, id: string, updateType?: string): string =>
  `<AlternateKey TypeCode="${type}"${updateType ? ` UpdateType="${updateType}"` : ""}><AlternateID>${id}</AlternateID></AlternateKey>`;

async function withTypes(hub: Hub): Promise<void> {
  await hub.referenceData.addAttributeType({
    name: "Spending Level",
    dataType: "LIST",
    values: ["Silver", "Gold", "Platinum"],
  });
  await hub.referenceData.addAttributeType({
    name: "JACKET SIZE",
    dataType: "TEXT",
    maxLength: 10,
  });
  await hub.referenceData.addAttributeType({
    name: "NUMBER OF CHILDREN",
    dataType: "NUMBER",
    unique: true,
  });
}

describe.each(engines)("batch import on $name", (engine) => {
  const run = (hub: Hub, dataDir: string, path: string) =>
    importFile(hub, path, { channel: "cli", actor: "test", dataDir });

  it("imports the document's Add example, archives it, and a second import fails with CUSTOMER_ALREADY_EXISTS", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await withTypes(hub);
    const first = await run(hub, dataDir, fixture("add-customer.xml"));
    expect(first).toMatchObject({
      total: 1,
      succeeded: 1,
      failed: 0,
      fileset: "default",
      failuresPath: null,
    });
    expect(readFileSync(first.archivedPath!, "utf8")).toBe(
      readFileSync(fixture("add-customer.xml"), "utf8"),
    );
    const record = await hub.customers.getByAlternateKey("TWCUSTID", "0000000043");
    expect(record.entityInformation.individual.salutation).toBe("Mr");
    expect(record.entityInformation.individual.name.name).toContainEqual({
      location: "LAST",
      value: "McDonald",
    });
    expect(
      record.entityInformation.individual.socioEconomicProfile.highestEducationalLevelName,
    ).toBe("PHD");
    expect(record.affiliation).toEqual([{ retailStoreID: "243" }]);
    expect(record.customAttribute).toEqual([
      { name: "Spending Level", attributeValue: ["Silver", "Gold", "Platinum"] },
    ]);
    const review = await hub.imports.show(first.importId);
    expect(review.rows).toEqual([
      expect.objectContaining({ outcome: "warning", errorCodes: ["EMPTY_XML_TAG"], action: "Add" }),
    ]);
    expect(review.rows[0]!.message).toContain("Suffix");
    // The example's <Name Location="First2"></Name> is empty too, attribute or not; its contact
    // preferences, whose data is all in attributes, are not.
    expect(review.rows[0]!.message).toMatch(/Empty XML tags: .*\bName\b/);
    expect(review.rows[0]!.message).not.toContain("ContactPreference");
    // A warned block names the customer it wrote, as failed blocks name theirs.
    expect(review.rows[0]!.key).toBe(`CustomerID:${record.customerID}`);

    const again = await run(hub, dataDir, fixture("add-customer.xml"));
    expect(again).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect(again.archivedPath).not.toBe(first.archivedPath);
    expect((await hub.imports.show(again.importId)).rows).toEqual([
      expect.objectContaining({
        outcome: "failed",
        errorCodes: ["CUSTOMER_ALREADY_EXISTS"],
        key: "TWCUSTID:0000000043",
        line: 4,
      }),
    ]);
    const failedBlocks = [];
    for await (const block of readBlocks(again.failuresPath!)) failedBlocks.push(block);
    expect(failedBlocks).toHaveLength(1);
    expect(failedBlocks[0]!.source).toContain("<AlternateID>0000000043</AlternateID>");
  });

  it("imports the AddorUpdate, Update, home location and Delete examples with the documented results", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await withTypes(hub);
    await hub.referenceData.addAlternateKeyType("EMAIL").catch(() => undefined);
    expect(await run(hub, dataDir, fixture("add-or-update-customer.xml"))).toMatchObject({
      succeeded: 1,
      failed: 0,
    });
    // Re-importing converges: the same customer, nothing duplicated.
    expect(await run(hub, dataDir, fixture("add-or-update-customer.xml"))).toMatchObject({
      succeeded: 1,
      failed: 0,
    });
    const before = await hub.customers.getByAlternateKey("XSTORE_ID", "X-0002");
    expect(before.entityInformation.individual.suffix).toBe("Sr.");
    expect(before.entityInformation.individual.contactInformation.email).toHaveLength(1);
    expect(before.entityInformation.individual.contactInformation.email[0]!.emailAddress).toBe(
      "gsmith@example.com",
    );
    expect(before.customerNotes.customerNote).toHaveLength(1);
    expect((await hub.customers.find({ name: "george smith" })).items).toHaveLength(1);
    await hub.customers.update(
      {
        customerID: before.customerID,
        alternateKeys: [
          { typeCode: "EMAIL", alternateID: "gsmith@example.com", updateType: "New" },
        ],
      },
      { actor: "test", channel: "api" },
    );

    expect(await run(hub, dataDir, fixture("update-customer.xml"))).toMatchObject({
      succeeded: 1,
      failed: 0,
    });
    const state = await hub.customers.getState(before.customerID);
    expect(state.retailStoreID).toBe("102");
    expect(state.homeRetailStoreID).toBe("555");
    expect(state.individual.names).toMatchObject({ FIRST: "Paul", LAST: "Newman" });
    // The example's <GenderType>MALE</GenderType>, by the gender rule.
    expect(state.individual.genderType).toBe("M");
    expect(state.individual.addresses.map((a) => [a.city, a.active])).toEqual([
      ["Oklahoma City", false],
      ["Solon", true],
    ]);
    expect(state.individual.emails.map((e) => [e.emailAddress, e.active, e.primaryFlag])).toEqual([
      ["gsmith@example.com", false, false],
      ["pnewman2@example.com", true, true],
    ]);
    expect(state.individual.telephones.map((t) => [t.phoneNumber, t.extension, t.active])).toEqual([
      ["4405550101", null, true],
      ["8005550102", "100", true],
    ]);
    expect(state.alternateKeys).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "X-0002" },
      { typeCode: "EMAIL", alternateID: "pnewman2@example.com" },
    ]);
    expect(state.customAttributes).toEqual(
      expect.arrayContaining([
        { name: "JACKET SIZE", values: ["Large"] },
        { name: "NUMBER OF CHILDREN", values: ["8"] },
      ]),
    );
    expect(state.notes).toHaveLength(1);
    // Imported again, it changes nothing: Set makes the address, e-mail or phone it names the
    // primary again rather than adding another copy of it.
    expect(await run(hub, dataDir, fixture("update-customer.xml"))).toMatchObject({
      succeeded: 1,
    });
    const again = await hub.customers.getState(before.customerID);
    expect(again.individual.addresses).toEqual(state.individual.addresses);
    expect(again.individual.emails).toEqual(state.individual.emails);
    expect(again.individual.telephones).toEqual(state.individual.telephones);

    await hub.customers.add(
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "0000000043" }] },
      { actor: "t", channel: "api" },
    );
    expect(await run(hub, dataDir, fixture("home-location.xml"))).toMatchObject({
      total: 2,
      succeeded: 2,
    });
    expect((await hub.customers.getByAlternateKey("TWCUSTID", "0000000043")).affiliation).toEqual([
      { retailStoreID: "888" },
    ]);

    const other = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "X-9" }] },
      { actor: "t", channel: "api" },
    );
    const deletes = writeFileSync(
      join(dataDir, "delete.xml"),
      readFileSync(fixture("delete-customer.xml"), "utf8").replace("CUSTOMER_ID", other.customerID),
    );
    expect(deletes).toBeUndefined();
    expect(await run(hub, dataDir, join(dataDir, "delete.xml"))).toMatchObject({
      total: 2,
      succeeded: 2,
      byAction: { Delete: { succeeded: 2, failed: 0 } },
    });
    expect((await hub.customers.getState(before.customerID)).active).toBe(false);
    expect((await hub.customers.getState(other.customerID)).active).toBe(false);
  });

  it("fails each bad block with the document's error code and keeps every good one", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await withTypes(hub);
    await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "TAKEN" }] },
      { actor: "t", channel: "api" },
    );
    // A failure its action's table has no code for: GENERAL_ERROR, then custhub's own code.
    const cases: [string, string | string[]][] = [
      [`<Customer Action="Add">${key("XSTORE_ID", "TAKEN")}</Customer>`, "CUSTOMER_ALREADY_EXISTS"],
      [
        `<Customer Action="Add"><AlternateKey><AlternateID>1</AlternateID></AlternateKey></Customer>`,
        "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
      ],
      [
        `<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"></AlternateKey></Customer>`,
        "ALTERNATE_KEY_VALUE_UNSPECIFIED",
      ],
      [
        `<Customer Action="Add"><CustomAttribute name="JACKET SIZE"><AttributeValue>Extra extra large</AttributeValue></CustomAttribute></Customer>`,
        "ATTRIBUTE_VALUE_TOO_LARGE",
      ],
      [
        `<Customer Action="Add"><CustomerNotes><CustomerNote type="COMMENT"> </CustomerNote></CustomerNotes></Customer>`,
        "CUSTOMER_NOTE_EMPTY",
      ],
      [
        `<Customer Action="Add"><CustomAttribute name="NUMBER OF CHILDREN"><AttributeValue>many</AttributeValue></CustomAttribute></Customer>`,
        "INVALID_ATTRIBUTE_VALUE",
      ],
      [
        `<Customer Action="Add"><SignupDate>07-13-2006</SignupDate></Customer>`,
        "INVALID_DATE_FORMAT",
      ],
      [
        `<Customer Action="Add"><CustomAttribute name="NUMBER OF CHILDREN"><AttributeValue>1</AttributeValue><AttributeValue>2</AttributeValue></CustomAttribute></Customer>`,
        "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
      ],
      [
        // The same unique attribute in two elements: both values, not the last element's alone.
        `<Customer Action="Add"><CustomAttribute name="NUMBER OF CHILDREN"><AttributeValue>1</AttributeValue></CustomAttribute><CustomAttribute name="Number of Children"><AttributeValue>2</AttributeValue></CustomAttribute></Customer>`,
        "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
      ],
      [
        `<Customer Action="Add"><EntityInformation><Individual><Name><Name Location="Nick">x</Name></Name></Individual></EntityInformation></Customer>`,
        "NAME_POSITION_INVALID",
      ],
      [
        `<Customer Action="Add"><CustomAttribute name="SHOE SIZE"><AttributeValue>9</AttributeValue></CustomAttribute></Customer>`,
        "UNKNOWN_ATTRIBUTE_TYPE",
      ],
      [
        `<Customer Action="Add"><CustomAttribute name="Spending Level"><AttributeValue>Bronze</AttributeValue></CustomAttribute></Customer>`,
        "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
      ],
      [
        `<Customer Action="Update">${key("XSTORE_ID", "NOBODY")}<OrgName>x</OrgName></Customer>`,
        "CUSTOMER_NOT_FOUND",
      ],
      [
        `<Customer Action="Delete"><CustomerID>999999999</CustomerID></Customer>`,
        "CUSTOMER_NOT_FOUND",
      ],
      // Nothing to add: an anonymous customer needs an alternate key at least.
      [`<Customer Action="Add"></Customer>`, ["GENERAL_ERROR", "INVALID_REQUEST"]],
      [
        `<Customer Action="Add"><CustomerID>5</CustomerID></Customer>`,
        ["GENERAL_ERROR", "INVALID_REQUEST"],
      ],
      // A home location request without its required RetailStoreID.
      [
        `<Customer Action="Update">${key("XSTORE_ID", "GOOD-0")}<Affiliation UpdateType="New"></Affiliation></Customer>`,
        ["GENERAL_ERROR", "INVALID_REQUEST"],
      ],
      [
        `<Customer Action="Update">${key("XSTORE_ID", "GOOD-0")}<Affiliation Action="Add"><RetailStoreID> </RetailStoreID></Affiliation></Customer>`,
        ["GENERAL_ERROR", "INVALID_REQUEST"],
      ],
      [
        `<Customer Action="Rename">${key("XSTORE_ID", "R")}</Customer>`,
        ["GENERAL_ERROR", "INVALID_REQUEST"],
      ],
      [
        `<Customer Action="Update"><AlternateKey TypeCode="BOGUS"><AlternateID>B</AlternateID></AlternateKey></Customer>`,
        ["GENERAL_ERROR", "UNKNOWN_ALTERNATE_KEY_TYPE"],
      ],
    ];
    const good = (index: number) =>
      `<Customer Action="AddorUpdate">${key("XSTORE_ID", `GOOD-${index}`)}</Customer>`;
    const blocks = cases.flatMap(([block], index) => [good(index), block]);
    const summary = await run(hub, dataDir, writeXml(dataDir, "errors.xml", blocks));
    expect(summary).toMatchObject({
      total: cases.length * 2,
      succeeded: cases.length,
      failed: cases.length,
    });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => row.errorCodes)).toEqual(
      cases.map(([, codes]) => (typeof codes === "string" ? [codes] : codes)),
    );
    expect(review.rows.map((row) => row.blockNumber)).toEqual(
      cases.map((_, index) => index * 2 + 2),
    );
    for (let index = 0; index < cases.length; index += 1) {
      await expect(
        hub.customers.getByAlternateKey("XSTORE_ID", `GOOD-${index}`),
      ).resolves.toBeDefined();
    }
    const failed = [];
    for await (const block of readBlocks(summary.failuresPath!)) failed.push(block.source);
    expect(failed).toEqual(cases.map(([block]) => block));
  });

  it("writes the failures of a file whose root has a namespace prefix under that same root", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const path = join(dataDir, "prefixed.xml");
    writeFileSync(
      path,
      `<?xml version="1.0" encoding="UTF-8"?>\n<c:Customers xmlns:c="urn:example:customers">\n` +
        `<c:Customer Action="Add">${key("XSTORE_ID", "P1")}</c:Customer>\n` +
        `<c:Customer Action="Update">${key("XSTORE_ID", "NOBODY")}</c:Customer>\n` +
        `</c:Customers>\n`,
    );
    const summary = await run(hub, dataDir, path);
    expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    const failures = readFileSync(summary.failuresPath!, "utf8");
    expect(failures).toMatch(/^<\?xml [^>]*>\n<c:Customers xmlns:c="urn:example:customers">\n/);
    expect(failures.trimEnd()).toMatch(/<\/c:Customers>$/);
    const failed = [];
    for await (const block of readBlocks(summary.failuresPath!)) failed.push(block.source);
    expect(failed).toEqual([
      `<c:Customer Action="Update">${key("XSTORE_ID", "NOBODY")}</c:Customer>`,
    ]);
    await hub.close();
  });

  it("stops at malformed XML naming line and column, keeps what came before, and moves the file to failed/", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const blocks = [
      `<Customer Action="Add">${key("XSTORE_ID", "M1")}</Customer>`,
      `<Customer Action="Add">${key("XSTORE_ID", "M2")}</Customer>`,
      `<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>M3</AlternateID></Alternate></Customer>`,
      `<Customer Action="Add">${key("XSTORE_ID", "M4")}</Customer>`,
    ];
    const summary = await run(hub, dataDir, writeXml(dataDir, "broken.xml", blocks));
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    // The file goes to failed/, and its archived copy stays.
    expect(readFileSync(summary.archivedPath!, "utf8")).toBe(
      readFileSync(summary.failedFilePath!, "utf8"),
    );
    expect(summary.error).toMatchObject({ line: 5 });
    expect(summary.error!.message).toMatch(/line 5, column \d+/);
    expect(summary.error!.message).toContain(
      "the end tag </Alternate> does not match the open element <AlternateKey>",
    );
    expect(existsSync(summary.failedFilePath!)).toBe(true);
    await expect(hub.customers.getByAlternateKey("XSTORE_ID", "M2")).resolves.toBeDefined();
    await expect(hub.customers.getByAlternateKey("XSTORE_ID", "M4")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
    // A block whose own end tag is wrong is not whole: it is not applied.
    const misspelt = await run(
      hub,
      dataDir,
      writeXml(dataDir, "misspelt.xml", [
        `<Customer Action="Add">${key("XSTORE_ID", "M5")}</Customer>`,
        `<Customer Action="Add">${key("XSTORE_ID", "M6")}</Customr>`,
      ]),
    );
    expect(misspelt).toMatchObject({ total: 1, succeeded: 1 });
    expect(misspelt.error!.message).toContain("the end tag </Customr> does not match");
    await expect(hub.customers.getByAlternateKey("XSTORE_ID", "M6")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });

    // The review says what the summary said.
    expect(await hub.imports.show(summary.importId)).toMatchObject({
      status: "failed",
      error: summary.error,
      archivedPath: summary.archivedPath,
      failedFilePath: summary.failedFilePath,
    });
  });

  it("reads the encoding a file declares, and stops at bytes that are not text", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const named = (id: string, first: string) =>
      `<Customer Action="Add"><EntityInformation><Individual><Name><Name Location="First">${first}</Name><Name Location="Last">Dupont</Name></Name></Individual></EntityInformation>${key("XSTORE_ID", id)}</Customer>`;

    const latin1 = join(dataDir, "latin1.xml");
    writeFileSync(
      latin1,
      Buffer.from(
        `<?xml version="1.0" encoding="ISO-8859-1"?>\n<Customers>\n${named("L1", "René")}\n</Customers>\n`,
        "latin1",
      ),
    );
    expect(await run(hub, dataDir, latin1)).toMatchObject({ succeeded: 1, failed: 0 });
    const rene = await hub.customers.getByAlternateKey("XSTORE_ID", "L1");
    expect(rene.entityInformation.individual.name.name).toContainEqual({
      location: "FIRST",
      value: "René",
    });

    // Declared UTF-8 (by default) but written in Latin-1 from the second block on.
    const mixed = join(dataDir, "mixed.xml");
    writeFileSync(
      mixed,
      Buffer.concat([
        Buffer.from(`<?xml version="1.0"?>\n<Customers>\n${named("U1", "Ann")}\n`),
        Buffer.from(`${named("U2", "Zoé")}\n${named("U3", "Bo")}\n</Customers>\n`, "latin1"),
      ]),
    );
    const stopped = await run(hub, dataDir, mixed);
    expect(stopped).toMatchObject({ succeeded: 1, failed: 0 });
    expect(existsSync(stopped.archivedPath!)).toBe(true);
    expect(stopped.error!.message).toMatch(
      /^The file is not readable text: the byte 0xE9 is not UTF-8 text \(line 4, column \d+\)$/,
    );
    expect(existsSync(stopped.failedFilePath!)).toBe(true);
    await expect(hub.customers.getByAlternateKey("XSTORE_ID", "U1")).resolves.toBeDefined();
    await expect(hub.customers.getByAlternateKey("XSTORE_ID", "U3")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });

    const unknown = join(dataDir, "ebcdic.xml");
    writeFileSync(unknown, `<?xml version="1.0" encoding="EBCDIC-XYZ"?>\n<Customers/>\n`);
    expect((await run(hub, dataDir, unknown)).error!.message).toMatch(
      /declares encoding "EBCDIC-XYZ", which cannot be read; convert it to UTF-8/,
    );
    await hub.close();
  });

  it("refuses a file with a DTD and a file that is not a batch file", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const dtd = join(dataDir, "dtd.xml");
    writeFileSync(
      dtd,
      `<?xml version="1.0"?>\n<!DOCTYPE Customers [<!ENTITY boom "boom">]>\n<Customers><Customer Action="Add">${key("XSTORE_ID", "&boom;")}</Customer></Customers>`,
    );
    const refused = await run(hub, dataDir, dtd);
    expect(refused.error!.message).toMatch(/DTD/);
    expect(refused.total).toBe(0);
    const wrongRoot = join(dataDir, "other.xml");
    writeFileSync(wrongRoot, "<Orders><Order/></Orders>");
    expect((await run(hub, dataDir, wrongRoot)).error!.message).toMatch(/root element is <Orders>/);
    await expect(run(hub, dataDir, join(dataDir, "missing.xml"))).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });

  it("gives imports of files by one name, running at once, each its own archived copy and failures file", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const files = ["P1", "P2", "P3"].map((id) =>
      writeXml(tempDir(), "same.xml", [
        `<Customer Action="Update">${key("TWCUSTID", `NOBODY-${id}`)}</Customer>`,
        `<Customer Action="AddorUpdate">${key("TWCUSTID", id)}</Customer>`,
      ]),
    );
    const summaries = await Promise.all(files.map((file) => run(hub, dataDir, file)));
    expect(summaries.map((summary) => [summary.succeeded, summary.failed])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(new Set(summaries.map((summary) => summary.archivedPath)).size).toBe(3);
    expect(new Set(summaries.map((summary) => summary.failuresPath)).size).toBe(3);
    summaries.forEach((summary, at) => {
      const id = `P${at + 1}`;
      expect(readFileSync(summary.archivedPath!, "utf8")).toBe(readFileSync(files[at]!, "utf8"));
      expect(readFileSync(summary.failuresPath!, "utf8")).toContain(`NOBODY-${id}`);
    });
    // An import without failures leaves no failures file behind.
    const clean = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "clean.xml", [
        `<Customer Action="AddorUpdate">${key("TWCUSTID", "C1")}</Customer>`,
      ]),
    );
    expect(clean.failuresPath).toBeNull();
    expect(existsSync(join(dataDir, "complete", "default", "failed", "clean_failures.xml"))).toBe(
      false,
    );
    await hub.close();
  });

  it("applies blocks in file order when a later one reaches an earlier one's customer by another key", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const first = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "first.xml", [
        `<Customer Action="AddorUpdate">${key("TWCUSTID", "E1")}${key("XSTORE_ID", "L1")}</Customer>`,
      ]),
    );
    expect(first.succeeded).toBe(1);
    const holder = await hub.customers.getByAlternateKey("TWCUSTID", "E1");
    const second = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "second.xml", [
        // Deleted by its CustomerID, then its freed key given to a new customer; then the new
        // customer updated through the other key the deleted one held, which now finds no one.
        `<Customer Action="Delete"><CustomerID>${holder.customerID}</CustomerID></Customer>`,
        `<Customer Action="Add">${key("TWCUSTID", "E1")}</Customer>`,
        `<Customer Action="Update">${key("XSTORE_ID", "L1")}<RetailStoreID>7</RetailStoreID></Customer>`,
      ]),
    );
    expect(second).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    const review = await hub.imports.show(second.importId);
    expect(review.rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual([
      [3, ["CUSTOMER_NOT_FOUND"]],
    ]);
    const added = await hub.customers.getByAlternateKey("TWCUSTID", "E1");
    expect(added.customerID).not.toBe(holder.customerID);
    await hub.close();
  });

  it("deletes no one when a Delete's CustomerID and alternate key name different customers", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const context = { actor: "t", channel: "api" } as const;
    const keyed = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "D1" }] },
      context,
    );
    const other = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "D2" }] },
      context,
    );
    const summary = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "deletes.xml", [
        `<Customer Action="Delete"><CustomerID>${other.customerID}</CustomerID>${key("XSTORE_ID", "D1")}</Customer>`,
        `<Customer Action="Delete"><CustomerID>${other.customerID}</CustomerID>${key("XSTORE_ID", "NOBODY")}</Customer>`,
        `<Customer Action="Delete"><CustomerID>${keyed.customerID}</CustomerID>${key("XSTORE_ID", "D1")}</Customer>`,
      ]),
    );
    expect(summary).toMatchObject({ total: 3, succeeded: 1, failed: 2 });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual([
      [1, ["CUSTOMER_NOT_FOUND"]],
      [2, ["CUSTOMER_NOT_FOUND"]],
    ]);
    expect((await hub.customers.getState(other.customerID)).active).toBe(true);
    expect((await hub.customers.getState(keyed.customerID)).active).toBe(false);
    await hub.close();
  });

  it("stores very long values, unsearchable, and refuses an over-long AlternateID by name", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const long = "a".repeat(5_000);
    const summary = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "long.xml", [
        `<Customer Action="Add"><EntityInformation><Individual><Name><Name Location="First">${long}</Name></Name><ContactInformation><EMail TypeCode="HOME"><EMailAddress>${long}@example.com</EMailAddress></EMail></ContactInformation></Individual></EntityInformation>${key("XSTORE_ID", "LONG-1")}</Customer>`,
        `<Customer Action="Add">${key("XSTORE_ID", "K".repeat(501))}</Customer>`,
      ]),
    );
    expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    const stored = await hub.customers.getByAlternateKey("XSTORE_ID", "LONG-1");
    expect(stored.entityInformation.individual.name.name[0]?.value).toHaveLength(5_000);
    const review = await hub.imports.show(summary.importId);
    expect(review.rows).toMatchObject([
      {
        blockNumber: 2,
        errorCodes: ["GENERAL_ERROR", "INVALID_REQUEST"],
        message: expect.stringContaining("an AlternateID of 501 characters; at most 500"),
      },
    ]);
    await hub.close();
  });

  it("fails a block the database refuses with GENERAL_ERROR and words of its own: no constraint, SQL or customer value", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const context = { actor: "test", channel: "api" as const };
    // Customers stored before the database starts refusing their names: a merge of two of them,
    // and a card given to one, rewrite a record that holds the name.
    const twins = [];
    for (const id of ["TWIN-1", "TWIN-2"]) {
      twins.push(
        await hub.customers.add(
          {
            alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }],
            orgName: "Ottoline Vasquez",
          },
          context,
        ),
      );
    }
    await hub.cards.add({ cardNumber: "6000000000000009" });
    // The database's refusals quote the value, or name the constraint.
    await hub.db.exec(
      `ALTER TABLE customers ADD CONSTRAINT refuses_ottoline
         CHECK (substring(record from 'Ottoline')::integer IS NULL) NOT VALID;
       ALTER TABLE customers ADD CONSTRAINT customers_no_brandt CHECK (record NOT LIKE '%Brandt%')`,
    );
    const summary = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "refused.xml", [
        `<Customer Action="Add">${key("XSTORE_ID", "R-1")}<OrgName>Ottoline</OrgName></Customer>`,
        `<Customer Action="AddorUpdate">${key("XSTORE_ID", "R-2")}<OrgName>Brandt</OrgName></Customer>`,
        `<Customer Action="Merge"><MergeSource>${key("XSTORE_ID", "TWIN-1")}</MergeSource><MergeTargetSet><MergeTarget>${key("XSTORE_ID", "TWIN-2")}</MergeTarget></MergeTargetSet></Customer>`,
        `<Customer Action="AddorUpdate">${key("XSTORE_ID", "R-3")}</Customer>`,
      ]),
    );
    const cards = join(tempDir(), "cards.xml");
    writeFileSync(
      cards,
      `<ActivateInstrumentCustomerRequest><Instrument><CardNumber>6000000000000009</CardNumber><Customer><CustomerID>${twins[0]!.customerID}</CustomerID></Customer></Instrument></ActivateInstrumentCustomerRequest>`,
    );
    const association = await run(hub, dataDir, cards);
    // Each refused block fails alone; the good one after them is applied, and the files complete.
    expect(summary).toMatchObject({ total: 4, succeeded: 1, failed: 3, error: null });
    expect(association).toMatchObject({ total: 1, succeeded: 0, failed: 1, error: null });
    await hub.customers.getByAlternateKey("XSTORE_ID", "R-3");
    const rows = [
      ...(await hub.imports.show(summary.importId)).rows,
      ...(await hub.imports.show(association.importId)).rows,
    ];
    expect(rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual([
      [1, ["GENERAL_ERROR"]],
      [2, ["GENERAL_ERROR"]],
      [3, ["GENERAL_ERROR"]],
      [1, ["GENERAL_ERROR"]],
    ]);
    for (const row of rows) {
      expect(row.message).toMatch(/^The change could not be saved: the database refused it/);
      expect(row.message).not.toMatch(/Ottoline|Brandt|constraint|customers|syntax|integer/i);
    }
    await hub.close();
  });

  it("converges when an Update file with Set, New, and an Old and New of one entry is imported again", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const address = (updateType: string, extra = "") =>
      `<Address UpdateType="${updateType}" TypeCode="HOME"${extra}><AddressLine1>1 Main St</AddressLine1><City>Solon</City><PostalCode>44139</PostalCode></Address>`;
    const added = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "base.xml", [
        `<Customer Action="Add">${key("TWCUSTID", "B1")}<EntityInformation><Individual><ContactInformation>${address("New", ' PrimaryFlag="true"')}<EMail TypeCode="HOME"><EMailAddress>ann@example.com</EMailAddress></EMail></ContactInformation></Individual></EntityInformation></Customer>`,
      ]),
    );
    expect(added.succeeded).toBe(1);
    const update = writeXml(tempDir(), "update.xml", [
      `<Customer Action="Update">${key("TWCUSTID", "B1")}<EntityInformation><Individual><ContactInformation>` +
        `<EMail UpdateType="Set" TypeCode="HOME"><EMailAddress>x@example.com</EMailAddress></EMail>` +
        `<EMail UpdateType="New" TypeCode="WORK"><EMailAddress>y@example.com</EMailAddress></EMail>` +
        address("Old") +
        address("New", ' PrimaryFlag="true" Label="gate 12"') +
        `</ContactInformation></Individual></EntityInformation></Customer>`,
    ]);
    expect(await run(hub, dataDir, update)).toMatchObject({ succeeded: 1 });
    const { customerID } = await hub.customers.getByAlternateKey("TWCUSTID", "B1");
    const first = await hub.customers.getState(customerID);
    expect(first.individual.addresses).toMatchObject([
      { addressLine1: "1 Main St", label: "gate 12", active: true, primaryFlag: true },
    ]);
    expect(first.individual.emails.filter((email) => email.active)).toMatchObject([
      { emailAddress: "x@example.com", primaryFlag: true },
      { emailAddress: "y@example.com" },
    ]);
    const history = (await hub.customers.history(customerID)).length;
    for (let again = 0; again < 2; again += 1) {
      expect(await run(hub, dataDir, update)).toMatchObject({ succeeded: 1 });
      const state = await hub.customers.getState(customerID);
      expect(state.individual.addresses).toEqual(first.individual.addresses);
      expect(state.individual.emails).toEqual(first.individual.emails);
    }
    // Nothing changed, so nothing was written again.
    expect((await hub.customers.history(customerID)).length).toBe(history);
    await hub.close();
  });

  it("refuses an Affiliation whose Action or UpdateType is none of the home location request's", async () => {
    const hub = await engine.freshHub();
    const context = { actor: "t", channel: "api" } as const;
    const customer = await hub.customers.add(
      {
        alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "H1" }],
        affiliation: { retailStoreID: "100" },
      },
      context,
    );
    const home = (attributes: string, store: string) =>
      `<Customer Action="Update"><CustomerID>${customer.customerID}</CustomerID><Affiliation ${attributes}><RetailStoreID>${store}</RetailStoreID></Affiliation></Customer>`;
    const summary = await run(
      hub,
      tempDir(),
      writeXml(tempDir(), "homes.xml", [
        home('Action="Remove"', "999"),
        home('UpdateType="Old"', "998"),
        home('Action="add"', "200"),
        home('UpdateType="New"', "300"),
      ]),
    );
    expect(summary).toMatchObject({ total: 4, succeeded: 2, failed: 2 });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual([
      [1, ["GENERAL_ERROR", "INVALID_REQUEST"]],
      [2, ["GENERAL_ERROR", "INVALID_REQUEST"]],
    ]);
    expect(review.rows[0]!.message).toMatch(/Action="Remove".*can only be "Add"/);
    expect((await hub.customers.getState(customer.customerID)).homeRetailStoreID).toBe("300");
    await hub.close();
  });

  it("names a failed Add by its key, not by the CustomerID the Add ignores", async () => {
    const hub = await engine.freshHub();
    const context = { actor: "t", channel: "api" } as const;
    const other = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "A1" }] },
      context,
    );
    const summary = await run(
      hub,
      tempDir(),
      writeXml(tempDir(), "adds.xml", [
        // Refused by the rules: the key is taken.
        `<Customer Action="Add"><CustomerID>${other.customerID}</CustomerID>${key("XSTORE_ID", "A1")}</Customer>`,
        // Refused while read: a flag that is no flag.
        `<Customer Action="Add"><CustomerID>${other.customerID}</CustomerID>${key("XSTORE_ID", "A2")}` +
          `<EntityInformation><Individual><ContactInformation><EMail PrimaryFlag="maybe"><EMailAddress>a@example.com</EMailAddress></EMail></ContactInformation></Individual></EntityInformation></Customer>`,
        // An Update's CustomerID is what it is found by, and names it.
        `<Customer Action="Update"><CustomerID>99999999</CustomerID>${key("XSTORE_ID", "A3")}</Customer>`,
      ]),
    );
    expect(summary).toMatchObject({ total: 3, failed: 3 });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => row.key)).toEqual([
      "XSTORE_ID:A1",
      "XSTORE_ID:A2",
      "CustomerID:99999999",
    ]);
    await hub.close();
  });

  it("applies an Update file again after the key its Old gave up has passed to a new customer", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const context = { actor: "t", channel: "api" } as const;
    const customer = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "OLD-KEY" }] },
      context,
    );
    const swap = writeXml(tempDir(), "swap.xml", [
      `<Customer Action="Update"><CustomerID>${customer.customerID}</CustomerID>` +
        `<AlternateKey TypeCode="XSTORE_ID" UpdateType="Old"><AlternateID>OLD-KEY</AlternateID></AlternateKey>` +
        `<AlternateKey TypeCode="XSTORE_ID" UpdateType="New"><AlternateID>NEW-KEY</AlternateID></AlternateKey></Customer>`,
    ]);
    expect(await run(hub, dataDir, swap)).toMatchObject({ succeeded: 1, failed: 0 });
    const taker = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "OLD-KEY" }] },
      context,
    );
    expect(await run(hub, dataDir, swap)).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await hub.customers.getState(customer.customerID)).alternateKeys).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "NEW-KEY" },
    ]);
    expect((await hub.customers.getState(taker.customerID)).alternateKeys).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "OLD-KEY" },
    ]);
    await hub.close();
  });

  it("changes no one by key when an Update's or Delete's CustomerID names no active customer, or its keys name several", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const context = { actor: "t", channel: "api" } as const;
    const add = (id: string) =>
      hub.customers.add({ alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }] }, context);
    const deleted = await add("R1");
    await hub.customers.delete({ customerID: deleted.customerID }, context);
    // The key the deleted customer held, now another's: a Delete file imported again.
    const heir = await add("R1");
    const [u1, u2, u3, u4] = [await add("U1"), await add("U2"), await add("U3"), await add("U4")];
    const summary = await run(
      hub,
      dataDir,
      writeXml(tempDir(), "stale.xml", [
        `<Customer Action="Delete"><CustomerID>${deleted.customerID}</CustomerID>${key("XSTORE_ID", "R1")}</Customer>`,
        `<Customer Action="Delete"><CustomerID>99999999</CustomerID>${key("XSTORE_ID", "R1")}</Customer>`,
        `<Customer Action="Update"><CustomerID>99999999</CustomerID>${key("XSTORE_ID", "R1")}<SignupDate>2001-01-01</SignupDate></Customer>`,
        `<Customer Action="Delete">${key("XSTORE_ID", "U1")}${key("XSTORE_ID", "U2")}</Customer>`,
        `<Customer Action="Delete">${key("XSTORE_ID", "U3")}${key("XSTORE_ID", "NOT-HELD")}</Customer>`,
        `<Customer Action="Update">${key("XSTORE_ID", "U1")}${key("XSTORE_ID", "U2")}<SignupDate>2001-01-01</SignupDate></Customer>`,
        // A key no one holds does not stop an Update of the customer its CustomerID names.
        `<Customer Action="Update"><CustomerID>${u4.customerID}</CustomerID>${key("XSTORE_ID", "GONE")}<SignupDate>2002-02-02</SignupDate></Customer>`,
        // AddorUpdate looks on by key (seeds/003): the holder of R1 is updated.
        `<Customer Action="AddorUpdate"><CustomerID>99999999</CustomerID>${key("XSTORE_ID", "R1")}<SignupDate>2003-03-03</SignupDate></Customer>`,
      ]),
    );
    expect(summary).toMatchObject({ total: 8, succeeded: 2, failed: 6 });
    const review = await hub.imports.show(summary.importId);
    expect(review.rows.map((row) => [row.blockNumber, row.errorCodes])).toEqual(
      [1, 2, 3, 4, 5, 6].map((block) => [block, ["CUSTOMER_NOT_FOUND"]]),
    );
    expect(review.rows[3]!.message).toMatch(/do not all name one active customer/);
    for (const customer of [heir, u1, u2, u3, u4]) {
      expect((await hub.customers.getState(customer.customerID)).active).toBe(true);
    }
    expect((await hub.customers.getState(u1.customerID)).signupDate).not.toBe("2001-01-01");
    expect((await hub.customers.getState(u4.customerID)).signupDate).toBe("2002-02-02");
    expect((await hub.customers.getState(heir.customerID)).signupDate).toBe("2003-03-03");
    await hub.close();
  });

  it("lists the newest imports first, past import 9", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const ids: number[] = [];
    for (let at = 0; at < 12; at += 1) {
      const file = writeXml(dataDir, `small-${at}.xml`, [
        `<Customer Action="AddorUpdate">${key("XSTORE_ID", `S${at}`)}</Customer>`,
      ]);
      ids.push(Number((await run(hub, dataDir, file)).importId));
    }
    const newest = [...ids].sort((a, b) => b - a).slice(0, 3);
    expect((await hub.imports.list(3)).map((row) => Number(row.id))).toEqual(newest);
    await hub.close();
  });

  it("imports 10,000 generated blocks, one in ten invalid, with exact counts", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const blocks = Array.from({ length: 10_000 }, (_, index) =>
      index % 10 === 9
        ? `<Customer Action="Add"><AlternateKey TypeCode="NOPE"><AlternateID>${index}</AlternateID></AlternateKey></Customer>`
        : `<Customer Action="AddorUpdate">${key("XSTORE_ID", `G${index}`)}<EntityInformation><Individual><Name><Name Location="First">ann ${index % 7}</Name><Name Location="Last">lee</Name></Name></Individual></EntityInformation></Customer>`,
    );
    const summary = await run(hub, dataDir, writeXml(dataDir, "big.xml", blocks));
    expect(summary).toMatchObject({ total: 10_000, succeeded: 9_000, failed: 1_000 });
    expect((await hub.health()).customers.active).toBe(9_000);
    const review = await hub.imports.show(summary.importId);
    expect(review.rows).toHaveLength(1_000);
    expect(new Set(review.rows.map((row) => row.errorCodes.join(",")))).toEqual(
      new Set(["GENERAL_ERROR,UNKNOWN_ALTERNATE_KEY_TYPE"]),
    );
    // The failures file holds exactly the failed blocks, as written, across the reader's chunks.
    const failed: string[] = [];
    for await (const block of readBlocks(summary.failuresPath!)) failed.push(block.source);
    expect(failed).toEqual(blocks.filter((_, index) => index % 10 === 9));
  });
});

describe("failuresName", () => {
  it.each([
    ["customers.xml", "customers_failures.xml"],
    ["batch.2024.XML", "batch.2024_failures.XML"],
    ["Kunden März.Xml", "Kunden März_failures.Xml"],
    ["export.txt", "export_failures.xml"],
    ["noextension", "noextension_failures.xml"],
  ])("names the failures of %s %s", (given, expected) => {
    expect(failuresName(given)).toBe(expected);
  });
});

describe("safeName", () => {
  it.each([
    ["Kunden März 日本.xml", "Kunden März 日本.xml"],
    ["Kunden Mürz 日本.xml", "Kunden Mürz 日本.xml"],
    ["/data/in/customers.xml", "customers.xml"],
    ["..\\..\\evil.xml", "evil.xml"],
    ["a:b*c?.xml", "a_b_c_.xml"],
    ["tab\there.xml", "tab_here.xml"],
    [".hidden.xml", "upload.hidden.xml"],
    ["..", "upload.."],
    ["", "upload"],
  ])("names %j %j", (given, expected) => {
    expect(safeName(given)).toBe(expected);
  });

  it("shortens a name past 200 bytes, keeping its extension and whole characters", () => {
    const name = safeName(`${"日".repeat(100)}.xml`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name).toBe(`${"日".repeat(65)}.xml`);
    expect(Buffer.byteLength(safeName(`a.${"x".repeat(300)}`))).toBeLessThanOrEqual(200);
  });
});
