/**
 * Every error code seeds/003 lists for each batch action, produced by importing a file: each bad
 * block fails alone with the document's code, the good block after it stands, and the failures file
 * holds exactly the bad blocks. The document's codes that cannot arise in custhub are named, with
 * the reason, in docs/import.md ("Error codes").
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import { readBlocks } from "../../src/ingest/xml-blocks.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const context: ChangeContext = { actor: "test", channel: "api" };

const key = (type: string, id: string): string =>
  `<AlternateKey TypeCode="${type}"><AlternateID>${id}</AlternateID></AlternateKey>`;

/** The bad content of an entry, whatever the action carrying it. */
const BAD_CONTENT: [code: string, xml: string][] = [
  [
    "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
    `<AlternateKey><AlternateID>1</AlternateID></AlternateKey>`,
  ],
  ["ALTERNATE_KEY_VALUE_UNSPECIFIED", `<AlternateKey TypeCode="TWCUSTID"></AlternateKey>`],
  [
    "ATTRIBUTE_VALUE_TOO_LARGE",
    `<CustomAttribute name="JACKET SIZE"><AttributeValue>Extra extra large</AttributeValue></CustomAttribute>`,
  ],
  [
    "CUSTOMER_NOTE_EMPTY",
    `<CustomerNotes><CustomerNote type="COMMENT"> </CustomerNote></CustomerNotes>`,
  ],
  [
    "INVALID_ATTRIBUTE_VALUE",
    `<CustomAttribute name="NUMBER OF CHILDREN"><AttributeValue>many</AttributeValue></CustomAttribute>`,
  ],
  ["INVALID_DATE_FORMAT", `<SignupDate>07-13-2006</SignupDate>`],
  [
    "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
    `<CustomAttribute name="NUMBER OF CHILDREN"><AttributeValue>1</AttributeValue><AttributeValue>2</AttributeValue></CustomAttribute>`,
  ],
  [
    "NAME_POSITION_INVALID",
    `<EntityInformation><Individual><Name><Name Location="Nick">x</Name></Name></Individual></EntityInformation>`,
  ],
  [
    "UNKNOWN_ATTRIBUTE_TYPE",
    `<CustomAttribute name="SHOE SIZE"><AttributeValue>9</AttributeValue></CustomAttribute>`,
  ],
  [
    "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
    `<CustomAttribute name="Spending Level"><AttributeValue>Bronze</AttributeValue></CustomAttribute>`,
  ],
];

/** The bad content in a block of `table`'s action, built by `wrap`. */
const withBadContent = (
  table: string,
  wrap: (xml: string, at: number) => string,
): [string, string, string][] => BAD_CONTENT.map(([code, xml], at) => [table, code, wrap(xml, at)]);

/**
 * The document's error tables for the `<Customers>` actions, one failing block each. Blocks with
 * `GENERAL-ERROR` in their record are refused by a trigger the test installs: a failure of the
 * database the document has no specific code for.
 */
const CUSTOMER_CASES: [table: string, code: string, block: string][] = [
  [
    "Add",
    "CUSTOMER_ALREADY_EXISTS",
    `<Customer Action="Add">${key("XSTORE_ID", "EXISTS")}</Customer>`,
  ],
  ...withBadContent("Add", (xml) => `<Customer Action="Add">${xml}</Customer>`),
  [
    "Add",
    "GENERAL_ERROR",
    `<Customer Action="Add">${key("XSTORE_ID", "GENERAL-ERROR-A")}</Customer>`,
  ],
  ...withBadContent(
    "AddorUpdate",
    (xml, at) => `<Customer Action="AddorUpdate">${key("TWCUSTID", `AOU-${at}`)}${xml}</Customer>`,
  ),
  [
    "AddorUpdate",
    "GENERAL_ERROR",
    `<Customer Action="AddorUpdate">${key("XSTORE_ID", "GENERAL-ERROR-U")}</Customer>`,
  ],
  ...withBadContent(
    "Update",
    (xml) => `<Customer Action="Update">${key("XSTORE_ID", "EXISTS")}${xml}</Customer>`,
  ),
  [
    "Update",
    "CUSTOMER_NOT_FOUND",
    `<Customer Action="Update">${key("XSTORE_ID", "NOBODY")}<OrgName>x</OrgName></Customer>`,
  ],
  [
    "Update",
    "GENERAL_ERROR",
    `<Customer Action="Update">${key("XSTORE_ID", "EXISTS")}<OrgName>GENERAL-ERROR</OrgName></Customer>`,
  ],
  [
    "Delete",
    "CUSTOMER_NOT_FOUND",
    `<Customer Action="Delete"><CustomerID>999999999</CustomerID></Customer>`,
  ],
  [
    "Delete",
    "GENERAL_ERROR",
    `<Customer Action="Delete">${key("XSTORE_ID", "GENERAL-ERROR-D")}</Customer>`,
  ],
  [
    "Add/Update Home Location",
    "CUSTOMER_NOT_FOUND",
    `<Customer Action="Update">${key("TWCUSTID", "NOBODY")}<Affiliation Action="Add"><RetailStoreID>777</RetailStoreID></Affiliation></Customer>`,
  ],
  [
    "Add/Update Home Location",
    "GENERAL_ERROR",
    `<Customer Action="Update">${key("XSTORE_ID", "GENERAL-ERROR-H")}<Affiliation UpdateType="New"><RetailStoreID>888</RetailStoreID></Affiliation></Customer>`,
  ],
  [
    "Customer Merge",
    "CUSTOMER_NOT_FOUND",
    `<Customer Action="Merge"><MergeSource>${key("XSTORE_ID", "EXISTS")}</MergeSource><MergeTargetSet><MergeTarget>${key("XSTORE_ID", "NOBODY")}</MergeTarget></MergeTargetSet></Customer>`,
  ],
  [
    "Customer Merge",
    "MERGE_CUSTOMER_CREATION_EXCEPTION",
    `<Customer Action="Merge"><MergeSource>${key("XSTORE_ID", "EXISTS")}</MergeSource><MergeTargetSet><MergeTarget>${key("XSTORE_ID", "EXISTS")}</MergeTarget></MergeTargetSet></Customer>`,
  ],
];

const instrument = (card: string, customer: string): string =>
  `<Instrument><UserName>WPL</UserName><CardNumber>${card}</CardNumber><Customer>${customer}</Customer></Instrument>`;

/** The programs `prepare` defines, by code: kind, dates, status. */
const PROGRAMS = [
  { code: "TENDER-OLD", kind: "TENDER", expiryDate: "2001-12-31" },
  { code: "TENDER-SOON", kind: "TENDER", effectiveDate: "2999-01-01" },
  { code: "AWARD-OLD", kind: "AWARD", expiryDate: "2001-12-31" },
  { code: "AWARD-SOON", kind: "AWARD", effectiveDate: "2999-01-01" },
  { code: "LYL-OLD", kind: "LOYALTY", expiryDate: "2001-12-31" },
  { code: "LYL-SOON", kind: "LOYALTY", effectiveDate: "2999-01-01" },
  { code: "RETIRED", kind: "LOYALTY", active: false },
] as const;

/** The card numbered for each program: 61000000000000<index>. */
const programCard = (code: string): string =>
  `61000000000000${String(PROGRAMS.findIndex((each) => each.code === code)).padStart(2, "0")}`;

/**
 * The document's error table for Card Customer Association, but `MIN_ACTIVATION_AMT_NOT_MET`: an
 * association request carries no activation amount (docs/import.md "Error codes").
 */
const CARD_CASES: [code: string, block: string][] = [
  ["CARD_NOT_FOUND", instrument("6000000000000404", key("XSTORE_ID", "EXISTS"))],
  ["CARD_EXPIRED", instrument("6000000000000001", key("XSTORE_ID", "EXISTS"))],
  ["ACCOUNT_EXPIRED", instrument("6000000000000004", key("XSTORE_ID", "EXISTS"))],
  ["ACCOUNT_BLOCKED", instrument("6000000000000002", key("XSTORE_ID", "EXISTS"))],
  ["PROGRAM_EXPIRED", instrument(programCard("TENDER-OLD"), key("XSTORE_ID", "EXISTS"))],
  ["PROGRAM_NOT_EFFECTIVE", instrument(programCard("TENDER-SOON"), key("XSTORE_ID", "EXISTS"))],
  ["AWARD_PROGRAM_EXPIRED", instrument(programCard("AWARD-OLD"), key("XSTORE_ID", "EXISTS"))],
  [
    "AWARD_PROGRAM_NOT_EFFECTIVE",
    instrument(programCard("AWARD-SOON"), key("XSTORE_ID", "EXISTS")),
  ],
  ["LYL_PROGRAM_EXPIRED", instrument(programCard("LYL-OLD"), key("XSTORE_ID", "EXISTS"))],
  ["LYL_PROGRAM_NOT_EFFECTIVE", instrument(programCard("LYL-SOON"), key("XSTORE_ID", "EXISTS"))],
  ["PROGRAM_INACTIVE", instrument(programCard("RETIRED"), key("XSTORE_ID", "EXISTS"))],
  ["CUSTOMER_NOT_FOUND", instrument("6000000000000003", key("XSTORE_ID", "NOBODY"))],
  ["CUSTOMER_NOT_FOUND", instrument("6000000000000003", `<CustomerID>999999999</CustomerID>`)],
];

function writeFile(dir: string, name: string, root: string, blocks: string[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${blocks.join("\n")}\n</${root}>\n`,
  );
  return path;
}

async function prepare(hub: Hub): Promise<void> {
  const { referenceData, customers, cards } = hub;
  await referenceData.addAttributeType({
    name: "Spending Level",
    dataType: "LIST",
    values: ["Silver", "Gold", "Platinum"],
  });
  await referenceData.addAttributeType({ name: "JACKET SIZE", dataType: "TEXT", maxLength: 10 });
  await referenceData.addAttributeType({
    name: "NUMBER OF CHILDREN",
    dataType: "NUMBER",
    unique: true,
  });
  for (const id of ["EXISTS", "GENERAL-ERROR-D", "GENERAL-ERROR-H"]) {
    await customers.add({ alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }] }, context);
  }
  await cards.add({ cardNumber: "6000000000000001", expirationDate: "2001-01-01" });
  await cards.add({ cardNumber: "6000000000000002" });
  await cards.block("6000000000000002", context);
  await cards.add({ cardNumber: "6000000000000003" });
  for (const each of PROGRAMS) {
    await cards.addProgram(each);
    await cards.add({ cardNumber: programCard(each.code), program: each.code });
  }
  // A card associated (so activated) while valid, whose expiration date has since passed.
  await cards.add({ cardNumber: "6000000000000004", expirationDate: "2099-12-31" });
  const holder = await customers.getByAlternateKey("XSTORE_ID", "EXISTS");
  await cards.associate({ cardNumber: "6000000000000004", customerID: holder.customerID }, context);
  await hub.db.exec(
    "UPDATE cards SET expiration_date = DATE '2001-01-01' WHERE card_number = '6000000000000004'",
  );
  // From here on, the database refuses any customer row whose record mentions GENERAL-ERROR.
  await hub.db.exec(`
    CREATE FUNCTION refuse_general_error() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.record LIKE '%GENERAL-ERROR%' THEN
        RAISE EXCEPTION 'simulated storage failure';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_general_error BEFORE INSERT OR UPDATE ON customers
      FOR EACH ROW EXECUTE FUNCTION refuse_general_error();`);
}

/** Imports the blocks, each bad one followed by a good one; checks each fails alone. */
async function importEach(
  hub: Hub,
  dataDir: string,
  root: "Customers" | "ActivateInstrumentCustomerRequest",
  cases: [code: string, block: string][],
  good: (at: number) => string,
): Promise<string[]> {
  const blocks = cases.flatMap(([, block], at) => [block, good(at)]);
  const path = writeFile(dataDir, `${root}.xml`, root, blocks);
  const summary = await importFile(hub, path, { channel: "cli", actor: "test", dataDir });
  expect(summary).toMatchObject({
    total: blocks.length,
    succeeded: cases.length,
    failed: cases.length,
  });
  const review = await hub.imports.show(summary.importId);
  expect(review.rows.map((row) => row.blockNumber)).toEqual(cases.map((_, at) => at * 2 + 1));
  // Each row names the customer by a key its block writes, whether the block could be mapped or not.
  for (const [at, row] of review.rows.entries()) {
    const written = [
      ...cases[at]![1].matchAll(
        /<CustomerI[Dd]>([^<]+)<|TypeCode="([^"]+)"><AlternateID>([^<]+)</g,
      ),
    ].map(([, customerID, typeCode, id]) =>
      customerID ? `CustomerID:${customerID}` : `${typeCode}:${id}`,
    );
    if (written.length > 0) expect(written, cases[at]![0]).toContain(row.key);
  }
  const failed: string[] = [];
  for await (const block of readBlocks(summary.failuresPath!)) failed.push(block.source);
  expect(failed).toEqual(cases.map(([, block]) => block));
  return review.rows.map((row) => row.errorCodes[0]!);
}

describe.each(engines)("the document's error codes, by importing files, on $name", (engine) => {
  it("fails each bad <Customer> block with its action's code, and keeps every good block", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await prepare(hub);
    const codes = await importEach(
      hub,
      dataDir,
      "Customers",
      CUSTOMER_CASES.map(([, code, block]) => [code, block]),
      (at) => `<Customer Action="AddorUpdate">${key("XSTORE_ID", `GOOD-${at}`)}</Customer>`,
    );
    expect(codes.map((code, at) => `${CUSTOMER_CASES[at]![0]}: ${code}`)).toEqual(
      CUSTOMER_CASES.map(([table, code]) => `${table}: ${code}`),
    );
    for (let at = 0; at < CUSTOMER_CASES.length; at += 1) {
      await expect(
        hub.customers.getByAlternateKey("XSTORE_ID", `GOOD-${at}`),
      ).resolves.toBeDefined();
    }
    // The failed blocks changed nothing: the customer they named is as it was.
    const exists = await hub.customers.getByAlternateKey("XSTORE_ID", "EXISTS");
    expect(exists.orgName ?? null).toBeNull();
    await hub.close();
  });

  it("fails each bad <Instrument> block with the card association's code, and keeps every good block", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    await prepare(hub);
    for (let at = 0; at < CARD_CASES.length; at += 1) {
      await hub.cards.add({ cardNumber: `70000000000000${String(at).padStart(2, "0")}` });
    }
    const codes = await importEach(
      hub,
      dataDir,
      "ActivateInstrumentCustomerRequest",
      CARD_CASES,
      (at) =>
        instrument(`70000000000000${String(at).padStart(2, "0")}`, key("XSTORE_ID", "EXISTS")),
    );
    expect(codes).toEqual(CARD_CASES.map(([code]) => code));
    const holder = await hub.customers.getByAlternateKey("XSTORE_ID", "EXISTS");
    expect(holder.customerCards.instrument.map((card) => card.cardNumber).sort()).toEqual([
      "6000000000000004",
      ...CARD_CASES.map((_, at) => `70000000000000${String(at).padStart(2, "0")}`),
    ]);
    await hub.close();
  });
});
