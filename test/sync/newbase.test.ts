/**
 * The NewBase connector (seeds/002): its mapping, field by field from the document's tables, its
 * settings, and its `deliver` against the NewBase simulator (a real HTTP server).
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emptyCustomer, type CustomerState } from "../../src/domain/customer.js";
import { toCustomerResponse } from "../../src/domain/customer-response.js";
import { isCusthubError } from "../../src/domain/errors.js";
import type { ClaimedRow } from "../../src/store/sync-deliveries.js";
import type { Destination, DeliveryResult } from "../../src/sync/destination.js";
import {
  newbaseCustomerOf,
  planUpdates,
  type NewbaseCustomer,
  type NewbaseLookup,
} from "../../src/sync/destinations/newbase/mapping.js";
import { newbaseDestination } from "../../src/sync/destinations/newbase/newbase-destination.js";
import type { NewbaseSettings } from "../../src/sync/destinations/newbase/settings.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import { NewbaseReceiver } from "../simulators/newbase-receiver.js";

const flags = {
  primaryFlag: true,
  validFlag: true,
  label: null,
  contactPreferenceCode: null,
  active: true,
};

/** A business customer with everything seeds/002 maps. */
function customer(id = "1001"): CustomerState {
  const state = emptyCustomer(id);
  state.orgName = "Smith Hardware";
  state.individual.names.FIRST = "John";
  state.individual.names.MIDDLE = "van";
  state.individual.names.LAST = "Smith";
  state.individual.languageCode = "NL";
  state.customAttributes = [
    { name: "VAT_NUMBER", values: ["NL123456789B01"] },
    { name: "CHAMBER_OF_COMMERCE_NUMBER", values: ["12345678"] },
  ];
  state.individual.addresses = [
    {
      ...flags,
      typeCode: "HOME",
      addressLine1: "Main Street",
      addressLine2: "12",
      addressLine3: null,
      addressLine4: null,
      apartmentNumber: null,
      city: "Utrecht",
      territory: null,
      postalCode: "3511 AB",
      county: null,
      country: "nl",
    },
  ];
  state.individual.telephones = [
    { ...flags, typeCode: "HOME", phoneNumber: "0301234567", extension: null, areaCode: null },
    { ...flags, typeCode: "MOBILE", phoneNumber: "0612345678", extension: null, areaCode: null },
    { ...flags, typeCode: "FAX", phoneNumber: "0307654321", extension: null, areaCode: null },
  ];
  state.individual.emails = [{ ...flags, typeCode: "HOME", emailAddress: "john@smith.example" }];
  return state;
}

function rowOf(
  state: CustomerState,
  action: "CREATE" | "UPDATE" | "DELETE" = "UPDATE",
): ClaimedRow {
  return {
    id: "1",
    sourceQueue: "customer",
    objName: "Customer",
    uniqueId: state.customerID,
    action,
    json: action === "DELETE" ? null : JSON.stringify(toCustomerResponse(state)),
    messageId: "m-1",
    orderingKey: state.customerID,
    attempts: 0,
    enqueuedAt: Date.now(),
  };
}

const settingsWith = (values: Record<string, string | null> = {}): NewbaseSettings =>
  newbaseDestination.parseSettings({ baseUrl: "http://127.0.0.1:1/api", ...values });

const mapped = (
  state: CustomerState,
  values: Record<string, string | null> = {},
): NewbaseCustomer => newbaseCustomerOf(toCustomerResponse(state), settingsWith(values))!;

describe("NewBase mapping (seeds/002)", () => {
  // One row per line of the document's tables: its note, what custhub holds, where it lands.
  const cases: {
    document: string;
    change?: (state: CustomerState) => void;
    settings?: Record<string, string>;
    read: (customer: NewbaseCustomer) => unknown;
    expected: unknown;
  }[] = [
    {
      document: "Directly mapped to the Organisation's name.",
      read: (c) => c.organisation.name,
      expected: "Smith Hardware",
    },
    {
      document: "Organisation's name, a consumer without a company: the person's name",
      change: (s) => (s.orgName = null),
      read: (c) => c.organisation.name,
      expected: "John Smith",
    },
    {
      document: "Directly mapped to the Debtor's VAT number.",
      read: (c) => c.debtor.vat_number,
      expected: "NL123456789B01",
    },
    {
      document: "Directly mapped to the Debtor's Chamber of Commerce number.",
      read: (c) => c.debtor.coc_number,
      expected: "12345678",
    },
    {
      document: "Mapped to the Debtor's language code, converted to lowercase.",
      read: (c) => c.debtor.language,
      expected: "nl",
    },
    {
      document: "Person first name, derived from the contact person's name",
      read: (c) => c.person.first_name,
      expected: "John",
    },
    {
      document: "Person last name, derived from the contact person's name",
      read: (c) => c.person.last_name,
      expected: "Smith",
    },
    {
      document: "Mapped to the Person's language, converted to lowercase",
      read: (c) => c.person.language,
      expected: "nl",
    },
    {
      document: "Visit address: concatenation of address 1 and 2 with a newline",
      read: (c) => c.visitAddress?.street,
      expected: "Main Street\n12",
    },
    {
      document: "Delivery address: concatenation of address 1 and 2 with a newline",
      read: (c) => c.deliveryAddress?.street,
      expected: "Main Street\n12",
    },
    {
      document: "Use AddressLine2 as house number: line 2 is the house number",
      settings: { useAddressLine2AsHouseNumber: "true" },
      read: (c) => [c.visitAddress?.street, c.visitAddress?.house_number],
      expected: ["Main Street", "12"],
    },
    { document: "City: directly mapped.", read: (c) => c.visitAddress?.city, expected: "Utrecht" },
    {
      document: "Postcode: directly mapped.",
      read: (c) => c.deliveryAddress?.postcode,
      expected: "3511 AB",
    },
    {
      document: "Directly mapped to the ISO country code for both visit and delivery addresses.",
      read: (c) => [c.visitAddress?.iso_country, c.deliveryAddress?.iso_country],
      expected: ["NL", "NL"],
    },
    {
      document: "Delivery address: the address of the configured type when there is one",
      change: (s) =>
        s.individual.addresses.push({
          ...s.individual.addresses[0]!,
          primaryFlag: false,
          typeCode: "SHIPPING",
          addressLine1: "Dock 4",
          addressLine2: null,
        }),
      settings: { deliveryAddressType: "shipping" },
      read: (c) => [c.visitAddress?.street, c.deliveryAddress?.street],
      expected: ["Main Street\n12", "Dock 4"],
    },
    {
      document: "ReachabilityType.ContactPhone: directly mapped",
      read: (c) => c.reachabilities.ContactPhone,
      expected: "0301234567",
    },
    {
      document: "ReachabilityType.PersonMobile: directly mapped",
      read: (c) => c.reachabilities.PersonMobile,
      expected: "0612345678",
    },
    {
      document: "ReachabilityType.PersonFax: directly mapped",
      read: (c) => c.reachabilities.PersonFax,
      expected: "0307654321",
    },
    {
      document: "ReachabilityType.ContactEmail: directly mapped",
      read: (c) => c.reachabilities.ContactEmail,
      expected: "john@smith.example",
    },
    {
      document:
        "ResetPhone / ResetMobile / ResetFax / ResetEmail: empty fields become empty strings",
      change: (s) => {
        s.individual.telephones = [];
        s.individual.emails = [];
      },
      read: (c) => c.reachabilities,
      expected: { ContactPhone: "", PersonMobile: "", PersonFax: "", ContactEmail: "" },
    },
    {
      document: "A deactivated email counts as emptied",
      change: (s) => (s.individual.emails[0]!.active = false),
      read: (c) => c.reachabilities.ContactEmail,
      expected: "",
    },
    {
      document: "An invalid email counts as emptied (the resets follow the validation result)",
      change: (s) => {
        s.individual.emails[0]!.validFlag = false;
        s.individual.emails[0]!.emailAddress = "john.invalid-at-example";
      },
      read: (c) => c.reachabilities.ContactEmail,
      expected: "",
    },
    {
      document: "ContactEmail: the valid email, not an invalid primary one",
      change: (s) =>
        s.individual.emails.unshift({
          ...flags,
          validFlag: false,
          typeCode: "WORK",
          emailAddress: "john.invalid-at-example",
        }),
      read: (c) => c.reachabilities.ContactEmail,
      expected: "john@smith.example",
    },
    {
      document: "An invalid telephone counts as emptied",
      change: (s) => (s.individual.telephones[1]!.validFlag = false),
      read: (c) => [c.reachabilities.ContactPhone, c.reachabilities.PersonMobile],
      expected: ["0301234567", ""],
    },
    {
      document: "Core fields custhub has none of are left out, not cleared",
      change: (s) => {
        s.customAttributes = [];
        s.individual.languageCode = null;
      },
      read: (c) => c.debtor,
      expected: {},
    },
    {
      document: "serial (maps to App4Sales CustomerCode): the customerID by default",
      read: (c) => c.serial,
      expected: "1001",
    },
    {
      document: "serial: the configured alternate key",
      change: (s) => (s.alternateKeys = [{ typeCode: "TWCUSTID", alternateID: "C-77" }]),
      settings: { customerCodeKeyType: "TWCUSTID" },
      read: (c) => c.serial,
      expected: "C-77",
    },
    {
      document: "Customer custom fields mapping: a standard field and a free field",
      change: (s) =>
        s.customAttributes.push({ name: "Spending Level", values: ["Silver", "Gold"] }),
      settings: {
        customerCustomFieldsMapping: JSON.stringify([
          { entity: "person", source: "middleName", target: "infix", freeField: false },
          { entity: "contact", source: "Spending Level", target: "free_text_1", freeField: true },
          { entity: "organisation", source: "customerID", target: "name", freeField: false },
        ]),
      },
      read: (c) => [c.person.infix, c.contact.free_text_1, c.organisation.name],
      expected: ["van", "Silver, Gold", "1001"],
    },
  ];

  it.each(cases)("$document", ({ change, settings, read, expected }) => {
    const state = customer();
    change?.(state);
    expect(read(mapped(state, settings))).toEqual(expected);
  });

  it("has no customer code when the configured alternate key is missing", () => {
    const record = toCustomerResponse(customer());
    expect(
      newbaseCustomerOf(record, settingsWith({ customerCodeKeyType: "XSTORE_ID" })),
    ).toBeNull();
  });

  describe("the updates planned from what NewBase holds", () => {
    const lookup: NewbaseLookup = {
      contactId: 1,
      organisationId: 2,
      personId: 3,
      debtorId: 4,
      visitAddressId: 5,
      deliveryAddressId: null,
      reachabilities: [
        { id: 10, owner: "contact", type: "phone", value: "0301234567" },
        { id: 11, owner: "person", type: "mobile", value: "0600000000" },
        { id: 12, owner: "person", type: "fax", value: "" },
      ],
    };

    it("writes each found record, skips unchanged reachabilities and creates nothing", () => {
      const state = customer();
      state.individual.telephones = state.individual.telephones.filter((t) => t.typeCode !== "FAX");
      const updates = planUpdates(mapped(state), lookup);
      expect(updates.map((u) => `${u.table}:${u.id}`)).toEqual([
        "organisation:2",
        "debtor:4",
        "person:3",
        "address:5",
        "reachability:11",
      ]);
      expect(updates.find((u) => u.id === 11)?.values).toEqual({ reachability: "0612345678" });
    });

    it("clears a reachability whose custhub value was emptied, with an empty string", () => {
      const state = customer();
      state.individual.telephones = [];
      const updates = planUpdates(mapped(state), lookup);
      expect(updates.filter((u) => u.table === "reachability")).toEqual([
        { table: "reachability", id: 10, values: { reachability: "" } },
        { table: "reachability", id: 11, values: { reachability: "" } },
      ]);
    });

    it("leaves the person, its visit address and reachabilities alone for a contact without person", () => {
      const updates = planUpdates(mapped(customer()), {
        ...lookup,
        personId: null,
        visitAddressId: null,
        reachabilities: [],
      });
      expect(updates.map((u) => u.table)).toEqual(["organisation", "debtor"]);
    });
  });
});

describe("NewBase settings", () => {
  it("fills in the defaults", () => {
    const settings = settingsWith();
    expect(settings).toMatchObject({
      customerCodeKeyType: null,
      useAddressLine2AsHouseNumber: false,
      customFields: [],
      vatNumberAttribute: "VAT_NUMBER",
      chamberOfCommerceAttribute: "CHAMBER_OF_COMMERCE_NUMBER",
    });
    expect(settings.baseUrl.href).toBe("http://127.0.0.1:1/api/");
  });

  const invalid: { case: string; values: Record<string, string | null>; message: RegExp }[] = [
    { case: "no base URL", values: { baseUrl: null }, message: /baseUrl is not set/ },
    {
      case: "a base URL that is not one",
      values: { baseUrl: "erp" },
      message: /baseUrl is not a URL/,
    },
    {
      case: "a house-number flag that is not a boolean",
      values: { useAddressLine2AsHouseNumber: "yes" },
      message: /useAddressLine2AsHouseNumber must be true or false/,
    },
    {
      case: "mapping JSON that does not parse",
      values: { customerCustomFieldsMapping: "[{" },
      message: /customerCustomFieldsMapping is not JSON/,
    },
    {
      case: "a mapping that is not an array",
      values: { customerCustomFieldsMapping: "{}" },
      message: /must be a JSON array/,
    },
  ];
  it.each(invalid)("refuses $case", ({ values, message }) => {
    expect(() => settingsWith(values)).toThrow(message);
  });

  const good = { entity: "person", source: "nickName", target: "nick_name", freeField: false };
  const badEntries: { case: string; entry: unknown; field: string | null; message: RegExp }[] = [
    {
      case: "an entry that is not an object",
      entry: "person",
      field: null,
      message: /must be an object/,
    },
    {
      case: "an unknown entity",
      entry: { ...good, entity: "invoice" },
      field: "entity",
      message: /"entity" must be one of organisation, debtor, person, contact/,
    },
    {
      case: "freeField missing",
      entry: { entity: "person", source: "nickName", target: "nick" },
      field: "freeField",
      message: /"freeField" must be true or false/,
    },
    {
      case: "an empty source",
      entry: { ...good, source: " " },
      field: "source",
      message: /"source" must be a non-empty string/,
    },
    {
      case: "a standard source custhub does not have",
      entry: { ...good, source: "shoeSize" },
      field: "source",
      message: /"source" is not a standard customer field/,
    },
    {
      case: "a target that is not a column name",
      entry: { ...good, target: "nick name" },
      field: "target",
      message: /"target" must be a NewBase column name/,
    },
    {
      case: "a key column as target",
      entry: { ...good, target: "k_person_id" },
      field: "target",
      message: /names the key column k_person_id/,
    },
    {
      case: "an unknown field",
      entry: { ...good, note: "x" },
      field: "note",
      message: /unknown field "note"/,
    },
    {
      case: "a column another entry writes",
      entry: { ...good, source: "lastName" },
      field: "target",
      message: /writes person.nick_name, which entry 0 writes already/,
    },
  ];
  it.each(badEntries)("names the entry and field of $case", ({ entry, field, message }) => {
    const mapping = JSON.stringify([good, entry]);
    let thrown: unknown;
    try {
      settingsWith({ customerCustomFieldsMapping: mapping });
    } catch (error) {
      thrown = error;
    }
    expect(isCusthubError(thrown)).toBe(true);
    if (!isCusthubError(thrown)) return;
    expect(thrown.code).toBe("INVALID_SETTING");
    expect(thrown.message).toMatch(/customerCustomFieldsMapping entry 1/);
    expect(thrown.message).toMatch(message);
    expect(thrown.details).toMatchObject({ setting: "customerCustomFieldsMapping", entry: 1 });
    if (field !== null) expect(thrown.details.field).toBe(field);
  });
});

describe("NewBase destination against the simulator", () => {
  let receiver: NewbaseReceiver;
  const opened: Destination[] = [];

  beforeAll(async () => {
    receiver = await NewbaseReceiver.start({ extraColumns: { contact: ["free_text_1"] } });
  });
  afterAll(async () => {
    await Promise.all(opened.map((destination) => destination.close()));
    await receiver.close();
  });
  beforeEach(() => {
    receiver.respondWith(() => undefined);
  });

  async function open(
    values: Record<string, string | null> = {},
    password = receiver.password,
  ): Promise<Destination> {
    const destination = await newbaseDestination.open({
      settings: newbaseDestination.parseSettings({ baseUrl: receiver.baseUrl, ...values }),
      credentials: { username: new Secret(receiver.username), password: new Secret(password) },
      timeoutMs: 2_000,
      concurrency: 4,
    });
    opened.push(destination);
    return destination;
  }

  /** A fresh serial and the receiver's requests from here on. */
  function fresh(): { serial: string; since: () => typeof receiver.requests } {
    const start = receiver.requests.length;
    return {
      serial: String(2000 + start),
      since: () => receiver.requests.slice(start),
    };
  }

  function seed(serial: string) {
    return receiver.seedCustomer({
      serial,
      organisation: { name: "Old name" },
      person: { first_name: "Old", last_name: "Name", language: "en" },
      debtor: { vat_number: "OLD", language: "en" },
      visitAddress: { street: "Old street", city: "Old city", iso_country: "BE" },
      deliveryAddress: { street: "Old dock", city: "Old city", iso_country: "BE" },
      contactReachabilities: { phone: "0000", email: "old@example.com" },
      personReachabilities: { mobile: "0611111111", fax: "0302222222" },
    });
  }

  it("looks the customer up as the document does and updates every record it found", async () => {
    const { serial, since } = fresh();
    const ids = seed(serial);
    const destination = await open();
    const result = await destination.deliver(rowOf(customer(serial)));
    expect(result).toEqual({ kind: "delivered", status: 200 });

    const requests = since();
    expect(requests[0]).toMatchObject({
      table: "contact",
      operation: "query",
      body: { filter: { serial }, fields: ["k_contact_id", "k_organisation_id", "k_person_id"] },
    });
    const queries = requests
      .filter((r) => r.operation === "query")
      .map((r) => [r.table, (r.body as { filter: unknown }).filter]);
    expect(queries).toEqual(
      expect.arrayContaining([
        ["debtor", { k_organisation_id: ids.organisation }],
        ["address", { k_person_id: ids.person, type_address: "visit" }],
        ["address", { k_organisation_id: ids.organisation, type_address: "delivery" }],
        ["reachability", { k_person_id: ids.person }],
        ["reachability", { k_contact_id: ids.contact }],
      ]),
    );
    expect(requests.every((r) => r.status === 200)).toBe(true);

    expect(receiver.row("organisation", ids.organisation)?.name).toBe("Smith Hardware");
    expect(receiver.row("debtor", ids.debtor!)).toMatchObject({
      vat_number: "NL123456789B01",
      coc_number: "12345678",
      language: "nl",
    });
    expect(receiver.row("person", ids.person!)).toMatchObject({
      first_name: "John",
      last_name: "Smith",
      language: "nl",
    });
    for (const address of [ids.visitAddress!, ids.deliveryAddress!]) {
      expect(receiver.row("address", address)).toMatchObject({
        street: "Main Street\n12",
        house_number: null,
        city: "Utrecht",
        postcode: "3511 AB",
        iso_country: "NL",
      });
    }
    const reachability = (id: number | undefined) =>
      receiver.row("reachability", id!)?.reachability;
    expect(reachability(ids.contactReachabilities.phone)).toBe("0301234567");
    expect(reachability(ids.contactReachabilities.email)).toBe("john@smith.example");
    expect(reachability(ids.personReachabilities.mobile)).toBe("0612345678");
    expect(reachability(ids.personReachabilities.fax)).toBe("0307654321");
  });

  it("writes line 2 as the house number when useAddressLine2AsHouseNumber is on", async () => {
    const { serial } = fresh();
    const ids = seed(serial);
    const destination = await open({ useAddressLine2AsHouseNumber: "true" });
    expect(await destination.deliver(rowOf(customer(serial)))).toEqual({
      kind: "delivered",
      status: 200,
    });
    expect(receiver.row("address", ids.visitAddress!)).toMatchObject({
      street: "Main Street",
      house_number: "12",
    });
  });

  it("clears the reachabilities whose values were emptied in custhub (ResetReachabilities)", async () => {
    const { serial, since } = fresh();
    const ids = seed(serial);
    const state = customer(serial);
    state.individual.telephones = state.individual.telephones.filter((t) => t.typeCode === "HOME");
    state.individual.emails = [];
    const destination = await open();
    expect(await destination.deliver(rowOf(state))).toEqual({ kind: "delivered", status: 200 });
    const reachability = (id: number | undefined) =>
      receiver.row("reachability", id!)?.reachability;
    expect(reachability(ids.personReachabilities.mobile)).toBe("");
    expect(reachability(ids.personReachabilities.fax)).toBe("");
    expect(reachability(ids.contactReachabilities.email)).toBe("");
    expect(reachability(ids.contactReachabilities.phone)).toBe("0301234567");
    const cleared = since()
      .filter((r) => r.table === "reachability" && r.operation === "update")
      .map((r) => (r.body as { values: unknown }).values);
    expect(cleared).toEqual(
      expect.arrayContaining([{ reachability: "" }, { reachability: "" }, { reachability: "" }]),
    );

    // Sent again: the cleared ones are empty already and are not written twice.
    const { since: again } = fresh();
    expect(await destination.deliver(rowOf(state))).toEqual({ kind: "delivered", status: 200 });
    expect(again().filter((r) => r.table === "reachability" && r.operation === "update")).toEqual(
      [],
    );
  });

  it("writes the custom field mapping's columns", async () => {
    const { serial } = fresh();
    const ids = seed(serial);
    const state = customer(serial);
    state.customAttributes.push({ name: "Spending Level", values: ["Gold"] });
    const destination = await open({
      customerCustomFieldsMapping: JSON.stringify([
        { entity: "contact", source: "Spending Level", target: "free_text_1", freeField: true },
      ]),
    });
    expect(await destination.deliver(rowOf(state))).toEqual({ kind: "delivered", status: 200 });
    expect(receiver.row("contact", ids.contact)?.free_text_1).toBe("Gold");
  });

  it("fails a customer NewBase does not know with NEWBASE_CONTACT_NOT_FOUND and creates nothing", async () => {
    const { serial, since } = fresh();
    const destination = await open();
    const result = await destination.deliver(rowOf(customer(serial)));
    expect(result).toMatchObject({ kind: "failed", status: null });
    expect((result as { error: string }).error).toMatch(
      /^NEWBASE_CONTACT_NOT_FOUND: NewBase has no contact whose serial is customer 2\d+'s customerID/,
    );
    expect(since().map((r) => `${r.table} ${r.operation}`)).toEqual(["contact query"]);
  });

  it("names the key by type, never its value, when the serial is an alternate key (SPEC 9)", async () => {
    const destination = await open({ customerCodeKeyType: "EMAIL" });
    const state = customer("9003");
    state.alternateKeys = [{ typeCode: "EMAIL", alternateID: "erin.private@example.net" }];
    const notFound = await destination.deliver(rowOf(state));
    expect(notFound).toMatchObject({ kind: "failed", status: null });
    expect((notFound as { error: string }).error).toBe(
      "NEWBASE_CONTACT_NOT_FOUND: NewBase has no contact whose serial is customer 9003's EMAIL key; custhub updates existing customers only",
    );

    // A server echoing the look-up's filter in its refusal.
    receiver.respondWith((request) =>
      request.table === "contact"
        ? {
            status: 500,
            body: JSON.stringify({
              error: { code: "E", message: `query ${JSON.stringify(request.body)}` },
            }),
          }
        : undefined,
    );
    const echoed = await destination.deliver(rowOf(state));
    expect(echoed).toMatchObject({ kind: "failed", status: 500 });
    expect((echoed as { error: string }).error).toContain("[EMAIL key]");
    expect(JSON.stringify(echoed)).not.toContain("erin.private");
  });

  it("names the key by type, never its value, when an update's refusal repeats the serial (SPEC 9)", async () => {
    const serial = "frank.private@example.net";
    seed(serial);
    const destination = await open({ customerCodeKeyType: "EMAIL" });
    const state = customer("9004");
    state.alternateKeys = [{ typeCode: "EMAIL", alternateID: serial }];
    receiver.respondWith((request) =>
      request.table === "person" && request.operation === "update"
        ? {
            status: 500,
            body: JSON.stringify({ error: { code: "E", message: `person of ${serial} locked` } }),
          }
        : undefined,
    );
    const result = await destination.deliver(rowOf(state));
    expect(result).toMatchObject({ kind: "failed", status: 500 });
    expect((result as { error: string }).error).toContain("person of [EMAIL key] locked");
    expect(JSON.stringify(result)).not.toContain("frank.private");
  });

  it("keeps no part of the serial where the kept 300 characters of an answer end inside it", async () => {
    const serial = "gina.private@example.net";
    seed(serial);
    const destination = await open({ customerCodeKeyType: "EMAIL" });
    const state = customer("9005");
    state.alternateKeys = [{ typeCode: "EMAIL", alternateID: serial }];
    const opening = `{"error":{"code":"E","message":"for `;
    const body = `${opening}${"x".repeat(300 - opening.length - 10)} ${serial} locked"}}`;
    for (const operation of ["query", "update"]) {
      receiver.respondWith((request) =>
        request.operation === operation && request.table !== "contact"
          ? { status: 500, body }
          : undefined,
      );
      const result = await destination.deliver(rowOf(state));
      expect(result).toMatchObject({ kind: "failed", status: 500 });
      expect(JSON.stringify(result)).not.toContain("gina.pri");
    }
  });

  it("reads the serial from the configured alternate key, and rejects a customer without one", async () => {
    const { serial } = fresh();
    const ids = seed(`ALT-${serial}`);
    const destination = await open({ customerCodeKeyType: "TWCUSTID" });
    const state = customer("9001");
    state.alternateKeys = [{ typeCode: "TWCUSTID", alternateID: `ALT-${serial}` }];
    expect(await destination.deliver(rowOf(state))).toEqual({ kind: "delivered", status: 200 });
    expect(receiver.row("organisation", ids.organisation)?.name).toBe("Smith Hardware");

    const { since } = fresh();
    const result = await destination.deliver(rowOf(customer("9002")));
    expect(result.kind).toBe("rejected");
    expect((result as { error: string }).error).toMatch(/no TWCUSTID alternate key/);
    expect(since()).toEqual([]);
  });

  it("fails with the status when NewBase refuses the credentials, and never shows the password", async () => {
    const careless = await NewbaseReceiver.start({ echoCredentialsInErrors: true });
    try {
      const wrong = "wrong-password-5e7c";
      const destination = await newbaseDestination.open({
        settings: newbaseDestination.parseSettings({ baseUrl: careless.baseUrl }),
        credentials: { username: new Secret(careless.username), password: new Secret(wrong) },
        timeoutMs: 2_000,
        concurrency: 1,
      });
      opened.push(destination);
      const result = await destination.deliver(rowOf(customer()));
      expect(result).toMatchObject({ kind: "failed", status: 401 });
      const shown = `${JSON.stringify(result)} ${inspect(result)}`;
      expect(careless.requests[0]?.status).toBe(401);
      expect(shown).toContain("[redacted]");
      expect(shown).not.toContain(wrong);
      expect(shown).not.toContain(Buffer.from(`${careless.username}:${wrong}`).toString("base64"));
    } finally {
      await careless.close();
    }
  });

  it("keeps no part of the password where the kept 300 characters of an answer end inside it", async () => {
    const destination = await open();
    const basic = Buffer.from(`${receiver.username}:${receiver.password}`).toString("base64");
    for (const secret of [receiver.password, basic]) {
      // A careless server repeating what it was sent, just before the cut.
      const opening = `{"error":{"code":"E","message":"with `;
      const padding = "x".repeat(300 - opening.length - 10);
      const body = `${opening}${padding}${secret} refused"}}`;
      receiver.respondWith(() => ({ status: 500, body }));
      const result = await destination.deliver(rowOf(customer()));
      expect(result).toMatchObject({ kind: "failed", status: 500 });
      expect((result as { error: string }).error).toMatch(/^NewBase contact query: HTTP 500: /);
      expect(JSON.stringify(result)).not.toContain(secret.slice(0, 6));
    }
  });

  it("fails with the status when an update is refused", async () => {
    const { serial } = fresh();
    seed(serial);
    receiver.respondWith((request) =>
      request.table === "person" && request.operation === "update" ? { status: 503 } : undefined,
    );
    const destination = await open();
    const result = await destination.deliver(rowOf(customer(serial)));
    expect(result).toMatchObject({ kind: "failed", status: 503 });
    expect((result as { error: string }).error).toMatch(/^NewBase person update: HTTP 503/);
  });

  it("passes on the wait a 429's or 503's Retry-After asks for, from a look-up or an update", async () => {
    const { serial } = fresh();
    seed(serial);
    const destination = await open();
    receiver.respondWith((request) =>
      request.table === "contact" ? { status: 429, headers: { "retry-after": "120" } } : undefined,
    );
    expect(await destination.deliver(rowOf(customer(serial)))).toMatchObject({
      kind: "failed",
      status: 429,
      retryAfterMs: 120_000,
    });
    receiver.respondWith((request) =>
      request.table === "debtor" && request.operation === "update"
        ? { status: 503, headers: { "retry-after": "30" } }
        : undefined,
    );
    expect(await destination.deliver(rowOf(customer(serial)))).toMatchObject({
      kind: "failed",
      status: 503,
      retryAfterMs: 30_000,
    });
  });

  it.each([
    [400, "rejected"],
    [422, "rejected"],
    [401, "failed"],
    [404, "failed"],
    [429, "failed"],
    [500, "failed"],
  ])("takes an update answered HTTP %i as %s, as every connector does", async (status, kind) => {
    const { serial } = fresh();
    seed(serial);
    receiver.respondWith((request) =>
      request.table === "address" && request.operation === "update" ? { status } : undefined,
    );
    const destination = await open();
    expect(await destination.deliver(rowOf(customer(serial)))).toMatchObject({ kind, status });
  });

  it("rejects a value NewBase refuses (400 INVALID_VALUE), which no retry would change", async () => {
    const { serial } = fresh();
    seed(serial);
    const state = customer(serial);
    state.individual.addresses[0]!.country = "Netherlands";
    const destination = await open();
    const result = await destination.deliver(rowOf(state));
    expect(result).toMatchObject({ kind: "rejected", status: 400 });
    expect((result as { error: string }).error).toMatch(/INVALID_VALUE.*iso_country/);
  });

  it("fails without a status when NewBase cannot be reached", async () => {
    const gone = await NewbaseReceiver.start();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const destination = await newbaseDestination.open({
      settings: newbaseDestination.parseSettings({ baseUrl }),
      credentials: { username: new Secret("u"), password: new Secret("p") },
      timeoutMs: 2_000,
      concurrency: 1,
    });
    opened.push(destination);
    const result: DeliveryResult = await destination.deliver(rowOf(customer()));
    expect(result).toMatchObject({ kind: "failed", status: null });
    expect((result as { error: string }).error).toMatch(/connection refused/);
  });

  it("skips a DELETE (update only) and sends nothing", async () => {
    const { since } = fresh();
    const destination = await open();
    const result = await destination.deliver(rowOf(customer(), "DELETE"));
    expect(result).toMatchObject({ kind: "skipped" });
    expect((result as { reason: string }).reason).toMatch(/update/);
    expect(since()).toEqual([]);
  });

  it("will not open without its credentials", async () => {
    await expect(
      Promise.resolve().then(() =>
        newbaseDestination.open({
          settings: settingsWith(),
          credentials: {},
          timeoutMs: 1_000,
          concurrency: 1,
        }),
      ),
    ).rejects.toMatchObject({ code: "CREDENTIALS_NOT_FOUND" });
  });
});
