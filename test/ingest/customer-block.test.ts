import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { customerOperation, mergeRequest } from "../../src/ingest/customer-block.js";
import { readBlocks } from "../../src/ingest/xml-blocks.js";
import type { XmlElement } from "../../src/ingest/xml-elements.js";

/** The one `<Customer>` of a file holding `inner`, as the import reads it. */
async function block(inner: string): Promise<XmlElement> {
  const file = `<Customers>\n<Customer Action="AddorUpdate">\n${inner}\n</Customer>\n</Customers>`;
  for await (const read of readBlocks(Readable.from([file]))) return read.element;
  throw new Error("no block");
}

const key = `<AlternateKey TypeCode="TWCUSTID"><AlternateID>R1</AlternateID></AlternateKey>`;

describe("elements written more than once in a block", () => {
  it("takes every child of a repeated container, none dropped", async () => {
    const { request } = customerOperation(
      await block(`${key}
<EntityInformation><Individual>
  <Name><Name Location="First">Ann</Name></Name>
  <Name><Name Location="Middle">Zed</Name><Name Location="Last">Lee</Name></Name>
  <ContactInformation><EMail><EMailAddress>a@example.com</EMailAddress></EMail></ContactInformation>
  <ContactInformation><Telephone><PhoneNumber>4405550100</PhoneNumber></Telephone></ContactInformation>
  <PersonalSummary><GenderType>F</GenderType></PersonalSummary>
  <PersonalSummary><BirthDate>1970-01-02</BirthDate></PersonalSummary>
</Individual></EntityInformation>
<CustomerNotes><CustomerNote>n1</CustomerNote></CustomerNotes>
<CustomerNotes><CustomerNote>n2</CustomerNote></CustomerNotes>`),
    );
    const individual = request.individual!;
    expect(individual.names).toEqual({ FIRST: "Ann", MIDDLE: "Zed", LAST: "Lee" });
    expect(individual.emails!.map((email) => email.emailAddress)).toEqual(["a@example.com"]);
    expect(individual.telephones!.map((phone) => phone.phoneNumber)).toEqual(["4405550100"]);
    expect([individual.genderType, individual.birthDate]).toEqual(["F", "1970-01-02"]);
    expect(request.notes!.map((note) => note.text)).toEqual(["n1", "n2"]);
  });

  it.each([
    [
      "a value",
      `<EntityInformation><Individual><Salutation>Dr</Salutation>\n<Salutation>Mr</Salutation></Individual></EntityInformation>`,
      "<Individual> (line 4) has two <Salutation> elements (lines 4 and 5); only one is allowed.",
    ],
    [
      "a value in two containers",
      `<EntityInformation><Individual>\n<PersonalSummary><GenderType>F</GenderType></PersonalSummary>\n<PersonalSummary><GenderType>M</GenderType></PersonalSummary></Individual></EntityInformation>`,
      "<PersonalSummary> (line 5) has two <GenderType> elements (lines 5 and 6); only one is allowed.",
    ],
    [
      "a name location",
      `<EntityInformation><Individual><Name>\n<Name Location="First">Ann</Name>\n<Name Location="first">Bea</Name></Name></Individual></EntityInformation>`,
      '<Name> (line 4) has two names with Location="FIRST" (lines 5 and 6); only one is allowed.',
    ],
    [
      "a home location",
      `<Affiliation><RetailStoreID>S1</RetailStoreID></Affiliation>\n<Affiliation><RetailStoreID>S2</RetailStoreID></Affiliation>`,
      "<Customer> (line 2) has two <Affiliation> elements (lines 4 and 5); only one is allowed.",
    ],
  ])("refuses %s given twice, naming both lines", async (_, inner, message) => {
    const element = await block(`${key}\n${inner}`);
    expect(() => customerOperation(element)).toThrow(message);
  });
});

describe("a merge party's key without its TypeCode or its AlternateID", () => {
  /** The one `<Customer Action="Merge">` of a file holding `inner`, as the import reads it. */
  async function merge(inner: string): Promise<XmlElement> {
    const file = `<Customers><Customer Action="Merge">${inner}</Customer></Customers>`;
    for await (const read of readBlocks(Readable.from([file]))) return read.element;
    throw new Error("no block");
  }
  const target = `<MergeTargetSet><MergeTarget><CustomerID>7</CustomerID></MergeTarget></MergeTargetSet>`;

  it.each([
    [
      "no TypeCode",
      `<MergeSource><AlternateKey><AlternateID>N1</AlternateID></AlternateKey></MergeSource>${target}`,
      "The MergeSource's alternate key has no TypeCode, and it names no CustomerID.",
    ],
    [
      "no AlternateID",
      `<MergeSource><CustomerID>8</CustomerID></MergeSource><MergeTargetSet><MergeTarget><AlternateKey TypeCode="TWCUSTID"></AlternateKey></MergeTarget></MergeTargetSet>`,
      "MergeTarget 1's alternate key (TWCUSTID) has no AlternateID, and it names no CustomerID.",
    ],
    [
      "no key at all",
      `<MergeSource><CustomerID>8</CustomerID></MergeSource><MergeTargetSet><MergeTarget></MergeTarget></MergeTargetSet>`,
      "MergeTarget 1 names no CustomerID and no alternate key.",
    ],
  ])("is refused with CUSTOMER_NOT_FOUND saying what it lacks: %s", async (_, inner, message) => {
    const element = await merge(inner);
    expect(() => mergeRequest(element)).toThrow(message);
    expect(() => mergeRequest(element)).toThrow(
      expect.objectContaining({ code: "CUSTOMER_NOT_FOUND" }),
    );
  });
});

describe("a name whose location is missing or not one of seeds/003's", () => {
  // seeds/003 NAME_POSITION_INVALID: "The location (e.g. First, Last, First2, etc.) of the name
  // element is not specified, or the location is not valid."
  it.each([
    [
      "not specified",
      `<Name Location="First">Ann</Name>\n<Name>Lee</Name>`,
      "<Name> (line 6) has no Location; it must be one of First, First2, Middle, Last, Last2.",
    ],
    [
      "blank",
      `<Name Location=" ">Lee</Name>`,
      "<Name> (line 5) has no Location; it must be one of First, First2, Middle, Last, Last2.",
    ],
    [
      "not valid",
      `<Name Location="First">Ann</Name>\n\n<Name Location="Nick">Annie</Name>`,
      '<Name Location="Nick"> (line 7) is not one of First, First2, Middle, Last, Last2.',
    ],
  ])("is refused with NAME_POSITION_INVALID naming its line: %s", async (_, names, message) => {
    const element = await block(
      `${key}\n<EntityInformation><Individual><Name>\n${names}</Name></Individual></EntityInformation>`,
    );
    expect(() => customerOperation(element)).toThrow(message);
    expect(() => customerOperation(element)).toThrow(
      expect.objectContaining({ code: "NAME_POSITION_INVALID" }),
    );
  });
});
