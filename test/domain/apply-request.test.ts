import { describe, expect, it } from "vitest";
import {
  applyUpdate,
  createCustomer,
  mergeAddOrUpdate,
  type ApplyContext,
} from "../../src/domain/apply-request.js";
import type { CustomerState } from "../../src/domain/customer.js";
import { holdsCustomerData, type CustomerRequest } from "../../src/domain/requests.js";

const context: ApplyContext = {
  attributeTypes: new Map(),
  alternateKeyTypes: new Set(["TWCUSTID", "EMAIL"]),
  today: "2026-11-24",
  now: "2026-11-24T12:00:00.000Z",
  validate: true,
};

/** A customer with one of each entry, all primary and valid, as an earlier import left it. */
function stored(): CustomerState {
  return createCustomer(
    "1000",
    {
      individual: {
        names: { FIRST: "Ann", LAST: "Lee" },
        addresses: [
          { typeCode: "HOME", primaryFlag: true, addressLine1: "1 A St", postalCode: "44139" },
        ],
        emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: "ann@example.com" }],
        telephones: [{ typeCode: "HOME", primaryFlag: true, phoneNumber: "4405550100" }],
      },
      alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "E1" }],
    },
    context,
  ).state;
}

/** Every entry of the customer, as (kind, content, active, primary). */
function entries(state: CustomerState): string[] {
  const { addresses, emails, telephones } = state.individual;
  return [
    ...addresses.map((a) => `address ${a.addressLine1} ${a.active} ${a.primaryFlag}`),
    ...emails.map((e) => `email ${e.emailAddress} ${e.active} ${e.primaryFlag}`),
    ...telephones.map((t) => `telephone ${t.phoneNumber} ${t.active} ${t.primaryFlag}`),
  ];
}

const blankEntries: CustomerRequest["individual"] = {
  addresses: [{ typeCode: "HOME", primaryFlag: true, updateType: "Set", addressLine1: "  " }],
  emails: [{ typeCode: "HOME", primaryFlag: true, updateType: "Set", emailAddress: "" }],
  telephones: [{ typeCode: "HOME", primaryFlag: true, updateType: "Set", extension: "12" }],
};

describe("entries without content (blank tags in a file)", () => {
  const held = [
    "address 1 A St true true",
    "email ann@example.com true true",
    "telephone 4405550100 true true",
  ];

  it.each([
    ["Update", applyUpdate],
    ["AddorUpdate", mergeAddOrUpdate],
  ])("%s leaves the customer's real entries as they are, with a warning each", (_, apply) => {
    const applied = apply(stored(), { individual: blankEntries }, context);
    expect(entries(applied.state)).toEqual(held);
    expect(applied.changedFields).toEqual([]);
    expect(applied.state.validationIssues.filter((issue) => issue.code === "EMPTY_ENTRY")).toEqual([
      expect.objectContaining({
        field: "addresses[0]",
        severity: "warning",
        message: "Address 1 has no address line, city, postal code or country; it was left out.",
      }),
      expect.objectContaining({ field: "emails[0]", message: expect.stringMatching(/^Email 1 /) }),
      expect.objectContaining({
        field: "telephones[0]",
        message: "Telephone 1 has no phone number; it was left out.",
      }),
    ]);
  });

  it("Add stores no empty entry, and keeps the entries that have content", () => {
    const { state } = createCustomer(
      "1001",
      {
        individual: {
          names: { FIRST: "Bo", LAST: "Ek" },
          emails: [{ typeCode: "HOME", emailAddress: " " }, { emailAddress: "bo@example.com" }],
        },
      },
      context,
    );
    expect(entries(state)).toEqual(["email bo@example.com true false"]);
    expect(state.validationIssues.map((issue) => issue.field)).toEqual(["emails[0]"]);
  });
});

describe("a middle initial in the first or last name (seeds/003 Names)", () => {
  const named = (names: Record<string, string>): CustomerRequest => ({
    individual: { names },
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "MI1" }],
  });
  const namesOf = (state: CustomerState): string =>
    [state.individual.names.FIRST, state.individual.names.MIDDLE, state.individual.names.LAST].join(
      " / ",
    );

  it.each([
    // [first import, second import, names after both]
    [{ FIRST: "John Q", LAST: "Adams" }, { FIRST: "John Q", LAST: "Adams" }, "John / Q / Adams"],
    [{ FIRST: "george w", LAST: "Bush" }, { FIRST: "george w", LAST: "Bush" }, "George / W / Bush"],
    [{ FIRST: "John Q", LAST: "Adams" }, { FIRST: "John R.", LAST: "Adams" }, "John / R / Adams"],
    [{ FIRST: "Ann", LAST: "Q Public" }, { LAST: "Q Public" }, "Ann / Q / Public"],
    [
      { FIRST: "John", MIDDLE: "Quincy", LAST: "Adams" },
      { FIRST: "John" },
      "John / Quincy / Adams",
    ],
  ])("%o then %o gives %s", (first, second, expected) => {
    const created = createCustomer("1000", named(first), context).state;
    for (const apply of [mergeAddOrUpdate, applyUpdate]) {
      const again = apply(created, named(second), context);
      expect(namesOf(again.state)).toBe(expected);
    }
  });

  it("importing the same name again changes nothing", () => {
    const created = createCustomer("1000", named({ FIRST: "John Q", LAST: "Adams" }), context);
    const again = mergeAddOrUpdate(
      created.state,
      named({ FIRST: "John Q", LAST: "Adams" }),
      context,
    );
    expect(again.changedFields).toEqual([]);
  });
});

describe("anonymous customers: an alternate key alone (seeds/003 Anonymous Customer)", () => {
  const key = [{ typeCode: "TWCUSTID", alternateID: "A1" }];
  const codes = (request: CustomerRequest): string[] =>
    createCustomer("1000", request, context).state.validationIssues.map((issue) => issue.code);

  it.each<[string, CustomerRequest, string[]]>([
    ["an alternate key alone is anonymous and valid", { alternateKeys: key }, []],
    ["nothing at all is not anonymous", {}, ["FIRST_NAME_MISSING", "LAST_NAME_MISSING"]],
    [
      "personal values without names are not anonymous",
      {
        alternateKeys: key,
        individual: { salutation: "Dr", nickName: "Bud", genderType: "M", birthDate: "1970-01-02" },
      },
      ["FIRST_NAME_MISSING", "LAST_NAME_MISSING"],
    ],
    [
      "a contact entry without names is not anonymous",
      { alternateKeys: key, individual: { emails: [{ emailAddress: "a@example.com" }] } },
      ["FIRST_NAME_MISSING", "LAST_NAME_MISSING"],
    ],
    [
      "a first name alone misses the last",
      { alternateKeys: key, individual: { names: { FIRST: "Ann" } } },
      ["LAST_NAME_MISSING"],
    ],
  ])("%s", (_, request, expected) => {
    expect(codes(request)).toEqual(expected);
  });
});

describe("with CustomerValidationEnabled off", () => {
  const unchecked: ApplyContext = { ...context, validate: false };

  it("stores the request's entries valid: nothing checked them, so nothing found them invalid", () => {
    const { state } = createCustomer(
      "1000",
      {
        individual: {
          names: { FIRST: "Ann", LAST: "Lee" },
          addresses: [{ typeCode: "HOME", addressLine1: "1 A St", postalCode: "44139" }],
          emails: [{ typeCode: "HOME", emailAddress: "ann@example.com" }],
          telephones: [{ typeCode: "HOME", phoneNumber: "4405550100" }],
        },
      },
      unchecked,
    );
    const { addresses, emails, telephones } = state.individual;
    expect([...addresses, ...emails, ...telephones].map((entry) => entry.validFlag)).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("leaves the flags of the entries the customer already holds as they were", () => {
    const invalid = createCustomer(
      "1000",
      { individual: { names: { FIRST: "A", LAST: "B" }, emails: [{ emailAddress: "nope" }] } },
      context,
    ).state;
    expect(invalid.individual.emails[0]!.validFlag).toBe(false);
    const { state } = applyUpdate(
      invalid,
      { individual: { emails: [{ emailAddress: "b@example.com" }] } },
      unchecked,
    );
    expect(state.individual.emails.map((email) => email.validFlag)).toEqual([false, true]);
  });
});

describe("lengths and cases the document leaves to the user", () => {
  it.each([
    ["é".repeat(500), true],
    ["😀".repeat(500), true],
    ["😀".repeat(501), false],
  ])("an AlternateID is counted in characters, not UTF-16 units (%#)", (alternateID, accepted) => {
    const request = { alternateKeys: [{ typeCode: "TWCUSTID", alternateID }] };
    const add = (): unknown => createCustomer("1000", request, context);
    if (accepted) expect(add).not.toThrow();
    else expect(add).toThrow("has an AlternateID of 501 characters; at most 500 are allowed.");
  });

  it("keeps a note's type as given, and does not add the same note again in another case", () => {
    const note = { text: "Called", type: "vip call" };
    const created = createCustomer("1000", { notes: [note] }, context).state;
    expect(created.notes.map((held) => held.type)).toEqual(["vip call"]);
    const again = mergeAddOrUpdate(created, { notes: [{ ...note, type: "VIP Call" }] }, context);
    expect(again.changedFields).toEqual([]);
  });
});

describe("contact preferences (seeds/003 ContactPreference)", () => {
  it.each<
    [string, { contactType: string; subTypeCode?: string; permission: boolean | null }, string]
  >([
    ["Mail", { contactType: "Mail", subTypeCode: "HOME", permission: true }, "MAIL HOME true"],
    ["Email, no SubTypeCode", { contactType: "email", permission: false }, "EMAIL HOME false"],
    ["Fax", { contactType: "Fax", subTypeCode: "fax", permission: true }, "FAX FAX true"],
    [
      "an unknown type",
      { contactType: "Pigeon", subTypeCode: "HOME", permission: true },
      `Contact preference 1 has the ContactType "Pigeon"; it must be Mail, Email, Phone or Fax; it was not written.`,
    ],
    [
      "Mail at FAX",
      { contactType: "Mail", subTypeCode: "FAX", permission: true },
      `Contact preference 1 has the SubTypeCode "FAX"; a MAIL preference must have HOME; it was not written.`,
    ],
    [
      "Fax at HOME",
      { contactType: "Fax", subTypeCode: "HOME", permission: true },
      `Contact preference 1 has the SubTypeCode "HOME"; a FAX preference must have FAX; it was not written.`,
    ],
    [
      "no permission",
      { contactType: "Phone", permission: null },
      "Contact preference 1 has no Permission (true or false); it was not written.",
    ],
  ])("%s", (_, preference, expected) => {
    const { state } = createCustomer(
      "1000",
      {
        alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "P1" }],
        contactPreferences: [preference],
      },
      context,
    );
    const stored = state.contactPreferences.map(
      (held) => `${held.contactType} ${held.subTypeCode} ${held.permission}`,
    );
    const warned = state.validationIssues
      .filter((issue) => issue.code === "INVALID_CONTACT_PREFERENCE")
      .map((issue) => issue.message);
    expect([...stored, ...warned]).toEqual([expected]);
  });
});

describe("LanguageCode: the 2-letter ISO language code (seeds/003)", () => {
  it.each([
    ["FR", "FR", []],
    [" fr ", "fr", []],
    ["French", null, ["languageCode is not a 2-letter ISO code; the value was not written."]],
    ["F1", null, ["languageCode is not a 2-letter ISO code; the value was not written."]],
  ])("%j is stored as %j", (languageCode, stored, messages) => {
    const { state } = createCustomer(
      "1000",
      { individual: { names: { FIRST: "A", LAST: "B" }, languageCode } },
      context,
    );
    expect(state.individual.languageCode).toBe(stored);
    expect(state.validationIssues.map((issue) => issue.message)).toEqual(messages);
  });
});

describe("UpdateType Old that names nothing the customer has", () => {
  it("deactivates nothing and says so, without repeating the value", () => {
    const applied = applyUpdate(
      stored(),
      {
        individual: {
          emails: [
            { updateType: "Old", typeCode: "HOME", emailAddress: "ann@example.com" },
            { updateType: "Old", typeCode: "WORK", emailAddress: "ann@example.com" },
          ],
          addresses: [{ updateType: "Old", addressLine1: "1 A St", postalCode: "44139" }],
        },
      },
      context,
    );
    expect(entries(applied.state)).toEqual([
      "address 1 A St true true",
      "email ann@example.com false true",
      "telephone 4405550100 true true",
    ]);
    expect(
      applied.state.validationIssues.map((issue) => [issue.code, issue.field, issue.message]),
    ).toEqual([
      [
        "OLD_ENTRY_NOT_FOUND",
        "addresses[0]",
        "Address 1 (UpdateType Old, no TypeCode) matches none of the customer's addresses; nothing was deactivated.",
      ],
      [
        "OLD_ENTRY_NOT_FOUND",
        "emails[1]",
        "Email 2 (UpdateType Old, TypeCode WORK) matches none of the customer's emails; nothing was deactivated.",
      ],
    ]);
    // The same request again: the HOME email is inactive already, which is what Old asks for.
    const again = applyUpdate(
      applied.state,
      {
        individual: {
          emails: [{ updateType: "Old", typeCode: "HOME", emailAddress: "ann@example.com" }],
        },
      },
      context,
    );
    expect(again.changedFields).toEqual([]);
    expect(again.state.validationIssues).toEqual([]);
  });
});

describe("the document's anonymous-to-identified Update (seeds/003 Anonymous Customer)", () => {
  it("takes blank Old entries, the old data 'blank in this case', without a word", () => {
    const anonymous = createCustomer(
      "1000",
      { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "A1" }] },
      context,
    ).state;
    const { state } = applyUpdate(
      anonymous,
      {
        individual: {
          names: { FIRST: "Ann", LAST: "Lee" },
          emails: [
            { updateType: "Old", emailAddress: "" },
            { updateType: "New", typeCode: "HOME", emailAddress: "ann@example.com" },
          ],
        },
      },
      context,
    );
    expect(entries(state)).toEqual(["email ann@example.com true false"]);
    expect(state.validationIssues).toEqual([]);
  });
});

describe("with CustomerValidationEnabled off, a request's own ValidFlag", () => {
  it("keeps ValidFlag false as the sender gave it", () => {
    const { state } = createCustomer(
      "1000",
      {
        individual: {
          names: { FIRST: "A", LAST: "B" },
          emails: [
            { emailAddress: "not-an-email", validFlag: false },
            { emailAddress: "b@example.com" },
          ],
        },
      },
      { ...context, validate: false },
    );
    expect(state.individual.emails.map((email) => email.validFlag)).toEqual([false, true]);
  });
});

describe("a custom attribute named more than once in one request", () => {
  const typed: ApplyContext = {
    ...context,
    attributeTypes: new Map(
      [
        { name: "Spending Level", dataType: "LIST" as const, values: ["Silver", "Gold"] },
        { name: "NUMBER OF CHILDREN", dataType: "NUMBER" as const, unique: true },
      ].map((type) => [
        type.name.toUpperCase(),
        { maxLength: null, editable: true, unique: false, values: [], ...type },
      ]),
    ),
  };
  const attributes = (request: CustomerRequest) =>
    applyUpdate(stored(), request, typed).state.customAttributes;

  // As one entry holding all their values, whatever the channel (docs/import.md: "A custom
  // attribute named in several <CustomAttribute> elements of one block holds the values of all
  // of them"), so that a later entry does not silently replace an earlier one.
  it.each<[string, CustomerRequest["customAttributes"], CustomerState["customAttributes"]]>([
    [
      "values of every entry, in any spelling of the name",
      [
        { name: "Spending Level", values: ["Silver"] },
        { name: " spending level ", values: ["gold"] },
      ],
      [{ name: "Spending Level", values: ["Silver", "Gold"] }],
    ],
    [
      "an entry without values adds none, and removes none another gives",
      [
        { name: "NUMBER OF CHILDREN", values: ["2"] },
        { name: "NUMBER OF CHILDREN", values: [] },
      ],
      [{ name: "NUMBER OF CHILDREN", values: ["2"] }],
    ],
  ])("holds the %s", (_, customAttributes, expected) => {
    expect(attributes({ customAttributes })).toEqual(expected);
  });

  it("refuses two values of a unique attribute given in two entries", () => {
    expect(() =>
      attributes({
        customAttributes: [
          { name: "NUMBER OF CHILDREN", values: ["2"] },
          { name: "number of children", values: ["3"] },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE" }));
  });
});

describe("what an Add or AddorUpdate must hold (seeds/003 Anonymous Customer)", () => {
  it.each<[string, CustomerRequest, "Add" | "AddorUpdate", boolean]>([
    [
      "an alternate key",
      { alternateKeys: [{ typeCode: "EMAIL", alternateID: "a@b.co" }] },
      "Add",
      true,
    ],
    ["a name", { individual: { names: { FIRST: "Ann" } } }, "Add", true],
    ["a flag set to false", { individual: { rent: false } }, "Add", true],
    ["nothing", {}, "Add", false],
    ["an Add's CustomerID alone, which Add ignores", { customerID: "5" }, "Add", false],
    ["an AddorUpdate's CustomerID", { customerID: "5" }, "AddorUpdate", true],
    ["blank text and empty lists", { orgName: "  ", alternateKeys: [], notes: [] }, "Add", false],
    ["null, which clears what a new customer does not have", { orgName: null }, "Add", false],
    ["an empty individual", { individual: {} }, "AddorUpdate", false],
    ["names all blank", { individual: { names: { FIRST: " " } }, notes: [] }, "Add", false],
  ])("%s: %s", (_what, request, action, holds) => {
    expect(holdsCustomerData(request, action)).toBe(holds);
  });
});
