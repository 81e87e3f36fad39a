import { describe, expect, it } from "vitest";
import type { AlternateKeyInput, CustomerRequest } from "../../src/domain/requests.js";
import type { ChangeContext, CustomerOperation } from "../../src/services/customers.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

const xstore = (alternateID: string, updateType?: "Old"): AlternateKeyInput => ({
  typeCode: "XSTORE_ID",
  alternateID,
  ...(updateType ? { updateType } : {}),
});

/** The document's Add example (seeds/003), with its placeholders filled in. */
const documentAdd: CustomerRequest = {
  lastUpdateInfo: { updateUserID: "USER1", updateDate: "2015-04-15" },
  retailStoreID: "HOME_OFFICE",
  signupDate: "2006-07-13",
  customerNumber: "CN-1",
  orgName: "Org",
  custOrgTypcode: "Company",
  employeeID: "E1",
  affiliation: { retailStoreID: "243" },
  prospect: true,
  source: "StoreWalkIn",
  businessName: "Biz",
  customerClass: "BusinessClass",
  individual: {
    suffix: "",
    salutation: "MR",
    nickName: "Nick",
    names: { FIRST: "john", FIRST2: "", MIDDLE: "", LAST: "smith" },
    addresses: [
      {
        primaryFlag: true,
        validFlag: true,
        typeCode: "HOME",
        contactPreferenceCode: "Order Info Only",
        label: "Special Address label",
        addressLine1: "1 Main St",
        city: "Oklahoma City",
        territory: "OK",
        postalCode: "49136",
        county: "Desert",
        country: "US",
      },
    ],
    emails: [
      { primaryFlag: true, typeCode: "HOME", emailAddress: "john#example.com             " },
    ],
    telephones: [{ primaryFlag: true, typeCode: "HOME", phoneNumber: "4405550100", extension: "" }],
    genderType: "M",
    birthDate: "1957-04-16",
    maritalStatusCode: "MARRIED",
    rent: true,
    languageCode: "FR",
    highestEducationalLevelName: "PHD\n            ",
    annualIncomeAmount: "123456",
    netWorth: "1234567",
  },
  contactPreferences: [
    { contactType: "Mail", subTypeCode: "HOME", permission: true },
    { contactType: "Email", subTypeCode: "HOME", permission: false },
  ],
  alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "0000000043" }],
  notes: [
    {
      action: "UPDATE",
      createDate: "2017-09-22",
      createUser: "example",
      type: "COMMENT",
      location: "99901",
      sequence: 326212,
      privateFlag: false,
      text: "sample note content\n        ",
    },
  ],
};

describe.each(engines)("customer service on $name", (engine) => {
  it("adds the document's example customer, normalized, with history", async () => {
    const hub = await engine.freshHub();
    const added = await hub.customers.add({ ...documentAdd, customerID: "42" }, api);
    expect(added.change).toBe("CREATE");
    expect(added.customerID).not.toBe("42");
    const record = await hub.customers.get(added.customerID);
    expect(record.customerID).toBe(added.customerID);
    expect(record.signupDate).toBe("2006-07-13");
    expect(record.validation).toEqual({ validFlag: "true" });
    expect(record.affiliation).toEqual([{ retailStoreID: "243" }]);
    const individual = record.entityInformation.individual;
    expect(individual.salutation).toBe("Mr");
    expect(individual.name.name).toEqual([
      { location: "FIRST", value: "John" },
      { location: "MIDDLE", value: null },
      { location: "LAST", value: "Smith" },
    ]);
    expect(individual.contactInformation.email[0]).toMatchObject({
      emailAddress: "john@example.com",
      validFlag: "true",
      primaryFlag: "true",
    });
    expect(individual.contactInformation.telephone[0]).toMatchObject({
      phoneNumber: "4405550100",
      areaCode: "440",
    });
    expect(individual.socioEconomicProfile).toEqual({
      annualIncomeAmount: "123456",
      netWorth: "1234567",
      highestEducationalLevelName: "PHD",
    });
    expect(record.alternateKey).toEqual([{ typeCode: "TWCUSTID", alternateID: "0000000043" }]);
    expect(record.customerNotes.customerNote).toEqual([
      expect.objectContaining({ sequence: "326212", text: "sample note content", type: "COMMENT" }),
    ]);
    expect(record.personalPreferences.contactPreference).toEqual([
      { contactType: "MAIL", subTypeCode: "HOME", permission: "true" },
      { contactType: "EMAIL", subTypeCode: "HOME", permission: "false" },
    ]);
    const history = await hub.customers.history(added.customerID);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: "tester", channel: "api", operation: "Add" });
  });

  it("saves invalid data, marks the customer invalid and stores the findings", async () => {
    const hub = await engine.freshHub();
    const added = await hub.customers.add(
      {
        individual: {
          salutation: "Captain",
          names: { FIRST: "Ann" },
          genderType: "X",
          birthDate: "04-16-1957",
          emails: [{ emailAddress: "not-an-email" }],
        },
      },
      api,
    );
    const state = await hub.customers.getState(added.customerID);
    expect(state.individual.salutation).toBe("Captain");
    expect(state.individual.genderType).toBe("X");
    expect(state.individual.birthDate).toBeNull();
    expect(state.individual.emails[0]).toMatchObject({
      emailAddress: "not-an-email",
      validFlag: false,
    });
    const codes = state.validationIssues.map((issue) => issue.code).sort();
    expect(codes).toEqual([
      "INVALID_DATE_FORMAT",
      "INVALID_EMAIL",
      "INVALID_GENDER",
      "INVALID_SALUTATION",
      "LAST_NAME_MISSING",
    ]);
    expect((await hub.customers.get(added.customerID)).validation.validFlag).toBe("false");
  });

  it("creates an anonymous customer from an alternate key alone, valid", async () => {
    const hub = await engine.freshHub();
    const added = await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "A-1" }] },
      api,
    );
    const record = await hub.customers.getByAlternateKey("xstore_id", "A-1");
    expect(record.customerID).toBe(added.customerID);
    expect(record.validation.validFlag).toBe("true");
  });

  it("refuses an Add whose alternate key an active customer holds, and bad keys, with the document's codes", async () => {
    const hub = await engine.freshHub();
    await hub.customers.add(
      { alternateKeys: [{ typeCode: "EMAIL", alternateID: "a@b.com" }] },
      api,
    );
    await expect(
      hub.customers.add({ alternateKeys: [{ typeCode: "EMAIL", alternateID: "a@b.com" }] }, api),
    ).rejects.toMatchObject({ code: "CUSTOMER_ALREADY_EXISTS" });
    await expect(
      hub.customers.add({ alternateKeys: [{ alternateID: "x" }] }, api),
    ).rejects.toMatchObject({
      code: "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
    });
    await expect(
      hub.customers.add({ alternateKeys: [{ typeCode: "EMAIL" }] }, api),
    ).rejects.toMatchObject({
      code: "ALTERNATE_KEY_VALUE_UNSPECIFIED",
    });
    await expect(
      hub.customers.add({ alternateKeys: [{ typeCode: "LOYALTY", alternateID: "1" }] }, api),
    ).rejects.toMatchObject({ code: "UNKNOWN_ALTERNATE_KEY_TYPE" });
    await hub.referenceData.addAlternateKeyType("loyalty");
    await expect(
      hub.customers.add({ alternateKeys: [{ typeCode: "LOYALTY", alternateID: "1" }] }, api),
    ).resolves.toMatchObject({ change: "CREATE" });
  });

  it("AddorUpdate finds by customerID, then by alternate key, and otherwise adds", async () => {
    const hub = await engine.freshHub();
    const created = await hub.customers.addOrUpdate(
      {
        customerID: "999999",
        individual: { names: { FIRST: "Ann", LAST: "Lee" } },
        alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "T1" }],
      },
      api,
    );
    expect(created.change).toBe("CREATE");
    expect(created.customerID).not.toBe("999999");
    const byKey = await hub.customers.addOrUpdate(
      {
        individual: { nickName: "Annie" },
        alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "T1" }],
      },
      api,
    );
    expect(byKey).toMatchObject({ change: "UPDATE", customerID: created.customerID });
    const byId = await hub.customers.addOrUpdate(
      { customerID: created.customerID, orgName: "Acme" },
      api,
    );
    expect(byId.change).toBe("UPDATE");
    const record = await hub.customers.get(created.customerID);
    expect(record.orgName).toBe("Acme");
    expect(record.entityInformation.individual.nickName).toBe("Annie");
    expect(record.entityInformation.individual.name.name[0]).toEqual({
      location: "FIRST",
      value: "Ann",
    });
  });

  it("AddorUpdate leaves matching entries alone and deactivates the others of the type for a new one", async () => {
    const hub = await engine.freshHub();
    const key = { typeCode: "TWCUSTID", alternateID: "T2" };
    const { customerID } = await hub.customers.add(
      {
        individual: {
          names: { FIRST: "Bo", LAST: "Ek" },
          emails: [
            { typeCode: "HOME", emailAddress: "bo@home.com", primaryFlag: true },
            { typeCode: "WORK", emailAddress: "bo@work.com" },
          ],
        },
        alternateKeys: [key],
      },
      api,
    );
    await hub.customers.addOrUpdate(
      {
        individual: { emails: [{ typeCode: "WORK", emailAddress: "bo@work.com" }] },
        alternateKeys: [key],
      },
      api,
    );
    let emails = (await hub.customers.getState(customerID)).individual.emails;
    expect(emails.map((email) => [email.emailAddress, email.active])).toEqual([
      ["bo@home.com", true],
      ["bo@work.com", true],
    ]);
    // A second WORK e-mail (Update, New): an exact match of either "is not updated", and the
    // other of its type stays active too; only an element not in the database deactivates them.
    await hub.customers.update(
      {
        customerID,
        individual: {
          emails: [{ typeCode: "WORK", emailAddress: "bo@work2.com", updateType: "New" }],
        },
      },
      api,
    );
    await hub.customers.addOrUpdate(
      {
        individual: { emails: [{ typeCode: "WORK", emailAddress: "bo@work.com" }] },
        alternateKeys: [key],
      },
      api,
    );
    emails = (await hub.customers.getState(customerID)).individual.emails;
    expect(emails.map((email) => [email.emailAddress, email.active])).toEqual([
      ["bo@home.com", true],
      ["bo@work.com", true],
      ["bo@work2.com", true],
    ]);
    await hub.customers.addOrUpdate(
      {
        individual: {
          emails: [{ typeCode: "HOME", emailAddress: "bo@new.com", primaryFlag: true }],
        },
        alternateKeys: [key],
      },
      api,
    );
    emails = (await hub.customers.getState(customerID)).individual.emails;
    expect(emails.map((email) => [email.emailAddress, email.active, email.primaryFlag])).toEqual([
      ["bo@home.com", false, false],
      ["bo@work.com", true, false],
      ["bo@work2.com", true, false],
      ["bo@new.com", true, true],
    ]);
  });

  it("Update applies Old, New and Set as the document's example does", async () => {
    const hub = await engine.freshHub();
    const { customerID } = await hub.customers.add(
      {
        individual: {
          names: { FIRST: "Paul", LAST: "Newman" },
          addresses: [
            {
              typeCode: "HOME",
              primaryFlag: true,
              addressLine1: "1 Elm",
              city: "Doylestown",
              territory: "PA",
              postalCode: "18901",
              country: "US",
            },
          ],
          emails: [{ typeCode: "HOME", emailAddress: "pnewman@example.com", primaryFlag: true }],
          telephones: [{ typeCode: "HOME", phoneNumber: "2155550100", primaryFlag: true }],
        },
        alternateKeys: [
          { typeCode: "XSTORE_ID", alternateID: "X1" },
          { typeCode: "EMAIL", alternateID: "pnewman@example.com" },
        ],
      },
      api,
    );
    await hub.customers.update(
      {
        alternateKeys: [
          { typeCode: "XSTORE_ID", alternateID: "X1" },
          { typeCode: "EMAIL", alternateID: "pnewman@example.com", updateType: "Old" },
          { typeCode: "EMAIL", alternateID: "pnewman2@example.com", updateType: "New" },
        ],
        individual: {
          suffix: "Sr.",
          salutation: "Mr.",
          genderType: "MALE",
          addresses: [
            {
              updateType: "Old",
              typeCode: "HOME",
              primaryFlag: true,
              addressLine1: "1 Elm",
              city: "Doylestown",
              territory: "PA",
              postalCode: "18901",
              country: "US",
            },
            {
              updateType: "New",
              typeCode: "HOME",
              primaryFlag: true,
              addressLine1: "2 Oak",
              city: "Solon",
              territory: "OH",
              postalCode: "44139",
              county: "Cuyahoga",
              country: "US",
            },
          ],
          emails: [
            {
              updateType: "Set",
              typeCode: "HOME",
              primaryFlag: true,
              emailAddress: "pnewman2@example.com",
            },
          ],
          telephones: [
            {
              updateType: "New",
              typeCode: "HOME",
              primaryFlag: true,
              phoneNumber: "8005550102",
              extension: "100",
            },
          ],
        },
      },
      api,
    );
    const state = await hub.customers.getState(customerID);
    expect(state.individual.salutation).toBe("Mr");
    expect(state.individual.genderType).toBe("M");
    expect(state.individual.addresses.map((a) => [a.city, a.active, a.primaryFlag])).toEqual([
      ["Doylestown", false, false],
      ["Solon", true, true],
    ]);
    expect(state.individual.emails.map((e) => [e.emailAddress, e.active, e.primaryFlag])).toEqual([
      ["pnewman@example.com", false, false],
      ["pnewman2@example.com", true, true],
    ]);
    expect(
      state.individual.telephones.map((t) => [t.phoneNumber, t.extension, t.active, t.primaryFlag]),
    ).toEqual([
      ["2155550100", null, true, false],
      ["8005550102", "100", true, true],
    ]);
    expect(state.alternateKeys).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "X1" },
      { typeCode: "EMAIL", alternateID: "pnewman2@example.com" },
    ]);
    // The replaced key is free again for another customer.
    await expect(
      hub.customers.add(
        { alternateKeys: [{ typeCode: "EMAIL", alternateID: "pnewman@example.com" }] },
        api,
      ),
    ).resolves.toMatchObject({ change: "CREATE" });
  });

  it("Update deletes an alternate key with DELETE and fails with CUSTOMER_NOT_FOUND for unknown customers", async () => {
    const hub = await engine.freshHub();
    const { customerID } = await hub.customers.add(
      {
        alternateKeys: [
          { typeCode: "XSTORE_ID", alternateID: "D1" },
          { typeCode: "PHONE", alternateID: "555" },
        ],
      },
      api,
    );
    await hub.customers.update(
      {
        customerID,
        alternateKeys: [{ typeCode: "PHONE", alternateID: "555", updateType: "DELETE" }],
      },
      api,
    );
    expect((await hub.customers.get(customerID)).alternateKey).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "D1" },
    ]);
    await expect(hub.customers.getByAlternateKey("PHONE", "555")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
      message: "No active customer holds alternate key PHONE.",
      details: { typeCode: "PHONE", knownType: true },
    });
    // A type that does not exist is named as such: no customer could hold it.
    await expect(hub.customers.getByAlternateKey("phnoe", "555")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
      message: expect.stringContaining("PHNOE is not an alternate key type"),
      details: { typeCode: "PHNOE", knownType: false },
    });
    await expect(
      hub.customers.update({ customerID: "123456789", orgName: "x" }, api),
    ).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
  });

  it("fails an Update or a Delete that names no customer with CUSTOMER_NOT_FOUND saying so", async () => {
    const hub = await engine.freshHub();
    await hub.customers.add({ alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "N1" }] }, api);
    // seeds/003 Update: "You must use <CustomerID> or <AlternateID> to identify the correct
    // customer"; a key that is only to be added (New), deleted (DELETE) or set identifies no one.
    const cases: [CustomerOperation, string][] = [
      [
        { action: "Update", request: { orgName: "x" } },
        "The Update names no CustomerID and no alternate key (one without UpdateType, or Old) to find its customer by.",
      ],
      [
        {
          action: "Update",
          request: {
            alternateKeys: [
              { typeCode: "XSTORE_ID", alternateID: "N1", updateType: "DELETE" },
              { typeCode: "TWCUSTID", alternateID: "N2", updateType: "New" },
            ],
          },
        },
        "The Update names no CustomerID and no alternate key (one without UpdateType, or Old) to find its customer by.",
      ],
      [
        { action: "Delete", request: {} },
        "The Delete names no CustomerID and no alternate key to find its customer by.",
      ],
    ];
    const outcomes = await hub.customers.applyBatch(
      cases.map(([operation]) => operation),
      api,
    );
    expect(outcomes.map((outcome) => (outcome.ok ? "ok" : outcome.error.code))).toEqual(
      cases.map(() => "CUSTOMER_NOT_FOUND"),
    );
    expect(outcomes.map((outcome) => (outcome.ok ? "ok" : outcome.error.message))).toEqual(
      cases.map(([, message]) => message),
    );
    expect((await hub.customers.getByAlternateKey("XSTORE_ID", "N1")).alternateKey).toEqual([
      { typeCode: "XSTORE_ID", alternateID: "N1" },
    ]);
    await hub.close();
  });

  it("checks custom attributes against their types, replaces their values, and refuses non-editable changes", async () => {
    const hub = await engine.freshHub();
    await hub.referenceData.addAttributeType({
      name: "Spending Level",
      dataType: "LIST",
      values: ["Silver", "Gold", "Platinum"],
    });
    await hub.referenceData.addAttributeType({
      name: "NUMBER OF CHILDREN",
      dataType: "NUMBER",
      unique: true,
    });
    await hub.referenceData.addAttributeType({
      name: "JACKET SIZE",
      dataType: "TEXT",
      maxLength: 5,
      editable: false,
    });
    const { customerID } = await hub.customers.add(
      {
        customAttributes: [
          { name: "Spending Level", values: ["Silver", "Gold", "Platinum"] },
          { name: "JACKET SIZE", values: ["Large"] },
        ],
      },
      api,
    );
    const failures: [CustomerRequest["customAttributes"], string][] = [
      [[{ name: "FAVORITE COLOR", values: ["red"] }], "UNKNOWN_ATTRIBUTE_TYPE"],
      [
        [{ name: "Spending Level", values: ["Bronze"] }],
        "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
      ],
      [[{ name: "NUMBER OF CHILDREN", values: ["eight"] }], "INVALID_ATTRIBUTE_VALUE"],
      [
        [{ name: "NUMBER OF CHILDREN", values: ["1", "2"] }],
        "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
      ],
      [[{ name: "JACKET SIZE", values: ["Small"] }], "ATTRIBUTE_NOT_EDITABLE"],
    ];
    for (const [customAttributes, code] of failures) {
      await expect(
        hub.customers.update({ customerID, customAttributes }, api),
      ).rejects.toMatchObject({ code });
    }
    // A value not in the list is told which values are.
    await expect(
      hub.customers.update(
        { customerID, customAttributes: [{ name: "Spending Level", values: ["Bronze"] }] },
        api,
      ),
    ).rejects.toThrow(/not one of the values defined for the list: Silver, Gold, Platinum\./);
    await hub.customers.update(
      {
        customerID,
        customAttributes: [
          { name: "spending level", values: ["gold"] },
          { name: "NUMBER OF CHILDREN", values: ["8"] },
        ],
      },
      api,
    );
    expect((await hub.customers.get(customerID)).customAttribute).toEqual([
      { name: "JACKET SIZE", attributeValue: ["Large"] },
      { name: "Spending Level", attributeValue: ["Gold"] },
      { name: "NUMBER OF CHILDREN", attributeValue: ["8"] },
    ]);
    await hub.customers.update(
      { customerID, customAttributes: [{ name: "Spending Level", values: [""] }] },
      api,
    );
    expect((await hub.customers.get(customerID)).customAttribute.map((a) => a.name)).toEqual([
      "JACKET SIZE",
      "NUMBER OF CHILDREN",
    ]);
  });

  it("does not add a note twice through AddorUpdate or Update, and refuses an empty one", async () => {
    const hub = await engine.freshHub();
    const key = { typeCode: "TWCUSTID", alternateID: "N1" };
    const { customerID } = await hub.customers.add(
      { alternateKeys: [key], notes: [{ text: "call back" }] },
      api,
    );
    await hub.customers.addOrUpdate(
      { alternateKeys: [key], notes: [{ text: "call back" }, { text: "VIP", type: "flag" }] },
      api,
    );
    await hub.customers.update({ customerID, notes: [{ text: "call back" }] }, api);
    const notes = (await hub.customers.get(customerID)).customerNotes.customerNote;
    expect(notes.map((note) => [note.sequence, note.type, note.text])).toEqual([
      ["1", "COMMENT", "call back"],
      ["2", "flag", "VIP"],
    ]);
    await expect(
      hub.customers.update({ customerID, notes: [{ type: "COMMENT", text: " " }] }, api),
    ).rejects.toMatchObject({
      code: "CUSTOMER_NOTE_EMPTY",
      message: "Customer note 1 has no text.",
    });
    // Messages count notes from 1, and say what a timestamp field takes.
    await expect(
      hub.customers.update(
        { customerID, notes: [{ text: "fine" }, { text: "dated", createDate: "24/07/2015" }] },
        api,
      ),
    ).rejects.toMatchObject({
      code: "INVALID_DATE_FORMAT",
      message:
        "Customer note 2's createDate is not a valid date (YYYY-MM-DD, or a timestamp such as 2015-07-24T15:25:27).",
      details: { field: "notes[1].createDate" },
    });
  });

  it("deletes by marking inactive, frees the keys, and refuses a second delete", async () => {
    const hub = await engine.freshHub();
    const key = { typeCode: "XSTORE_ID", alternateID: "DEL" };
    const { customerID } = await hub.customers.add({ alternateKeys: [key] }, api);
    await hub.customers.delete({ alternateKey: key }, api);
    expect((await hub.customers.getState(customerID)).active).toBe(false);
    await expect(hub.customers.delete({ customerID }, api)).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
    await expect(
      hub.customers.getByAlternateKey(key.typeCode, key.alternateID),
    ).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
    const again = await hub.customers.add({ alternateKeys: [key] }, api);
    expect(again.customerID).not.toBe(customerID);
  });

  it("writes the outbox in the same transaction only while DataSyncEnabled, and a delete drops what was queued", async () => {
    const hub = await engine.freshHub();
    await hub.customers.add({ alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "Q0" }] }, api);
    expect(await readCustomerPending(hub.db)).toEqual([]);
    await hub.settings.set("DataSyncEnabled", "Yes");
    const key = { typeCode: "XSTORE_ID", alternateID: "Q1" };
    const { customerID, record } = await hub.customers.add({ alternateKeys: [key] }, api);
    await hub.customers.addOrUpdate({ alternateKeys: [key], orgName: "Org" }, api);
    let pending = await readCustomerPending(hub.db, customerID);
    expect(pending.map((row) => [row.objName, row.uniqueId, row.action])).toEqual([
      ["Customer", customerID, "CREATE"],
      ["Customer", customerID, "UPDATE"],
    ]);
    expect(pending[0]!.jsonObject).toEqual(JSON.parse(JSON.stringify(record)));
    await hub.customers.delete({ customerID }, api);
    pending = await readCustomerPending(hub.db, customerID);
    expect(pending.map((row) => [row.action, row.jsonObject])).toEqual([["DELETE", null]]);
  });

  it("applies a batch with one request failing without losing the others", async () => {
    const hub = await engine.freshHub();
    const outcomes = await hub.customers.applyBatch(
      [
        {
          action: "Add",
          request: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "B1" }] },
        },
        {
          action: "Add",
          request: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "B1" }] },
        },
        { action: "Update", request: { customerID: "1", orgName: "nobody" } },
        {
          action: "AddorUpdate",
          request: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "B2" }] },
        },
        {
          action: "AddorUpdate",
          request: {
            alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "B2" }],
            orgName: "second",
          },
        },
        {
          action: "Delete",
          request: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "B1" }] },
        },
      ],
      { actor: "batch", channel: "batch" },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.change : outcome.error.code))).toEqual([
      "CREATE",
      "CUSTOMER_ALREADY_EXISTS",
      "CUSTOMER_NOT_FOUND",
      "CREATE",
      "UPDATE",
      "DELETE",
    ]);
    expect((await hub.customers.getByAlternateKey("XSTORE_ID", "B2")).orgName).toBe("second");
  });

  // A request waiting for an earlier one of its group (it names that one's customer by another
  // key) goes after the group: a later request must not change, before it runs, a customer it names.
  it.each([
    {
      case: "an Add held back behind a Delete does not take a key a later Delete frees",
      requests: (first: string, second: string): CustomerOperation[] => [
        { action: "Delete", request: { customerID: first } },
        { action: "Add", request: { alternateKeys: [xstore("R2"), xstore("R1")] } },
        { action: "Delete", request: { customerID: second } },
      ],
      expected: ["DELETE", "CUSTOMER_ALREADY_EXISTS", "DELETE"],
    },
    {
      case: "an Update held back behind another finds its customer before a later Delete",
      requests: (first: string, second: string): CustomerOperation[] => [
        { action: "Update", request: { customerID: first, orgName: "First" } },
        {
          action: "Update",
          request: { customerID: second, orgName: "Second", alternateKeys: [xstore("R1", "Old")] },
        },
        { action: "Delete", request: { alternateKeys: [xstore("R2")] } },
      ],
      expected: ["UPDATE", "UPDATE", "DELETE"],
    },
  ])("keeps a batch's order: $case", async ({ requests, expected }) => {
    const hub = await engine.freshHub();
    const first = await hub.customers.add({ alternateKeys: [xstore("R1")] }, api);
    const second = await hub.customers.add({ alternateKeys: [xstore("R2")] }, api);
    const outcomes = await hub.customers.applyBatch(
      requests(first.customerID, second.customerID),
      api,
    );
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.change : outcome.error.code))).toEqual(
      expected,
    );
  });

  it("AddorUpdate keeps the keys its request includes and replaces the others of their type", async () => {
    const hub = await engine.freshHub();
    const context = { actor: "batch", channel: "batch" } as const;
    const key = (alternateID: string) => ({ typeCode: "TWCUSTID", alternateID });
    const { customerID } = await hub.customers.addOrUpdate({ alternateKeys: [key("K1")] }, context);
    // Found by K1, which the request also includes next to K1b: both are the customer's.
    await hub.customers.addOrUpdate({ alternateKeys: [key("K1"), key("K1b")] }, context);
    expect((await hub.customers.getState(customerID)).alternateKeys).toEqual([
      key("K1"),
      key("K1b"),
    ]);
    // A key of the type the request does not include is one of "all other corresponding elements".
    await hub.customers.addOrUpdate({ customerID, alternateKeys: [key("K2")] }, context);
    expect((await hub.customers.getState(customerID)).alternateKeys).toEqual([key("K2")]);
  });

  it("writes, records and queues nothing for a request that leaves its customer as it was", async () => {
    const hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", true);
    const context = { actor: "batch", channel: "batch" } as const;
    const request = {
      orgName: "Same",
      alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "U1" }],
    };
    const first = await hub.customers.addOrUpdate(request, context);
    const again = await hub.customers.addOrUpdate(request, context);
    expect(again).toMatchObject({ ok: true, customerID: first.customerID, change: null });
    expect(again.record).toEqual(first.record);
    expect(await hub.customers.history(first.customerID)).toHaveLength(1);
    expect(await readCustomerPending(hub.db, first.customerID)).toHaveLength(1);
    // A change is written as ever.
    await hub.customers.addOrUpdate({ ...request, orgName: "Other" }, context);
    expect(await hub.customers.history(first.customerID)).toHaveLength(2);
  });

  it("fails a new customer the rules refuse alone, in the group's one transaction", async () => {
    const hub = await engine.freshHub();
    const lastId = async (): Promise<number> =>
      Number(
        (await hub.db.query<{ n: string }>("SELECT last_value::text AS n FROM customer_id_seq"))[0]!
          .n,
      );
    // A customer first, so the sequence's last value is one drawn.
    await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "N0" }] },
      { actor: "t", channel: "api" },
    );
    const before = await lastId();
    const add = (id: string, extra: object = {}) => ({
      action: "Add" as const,
      request: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }], ...extra },
    });
    const outcomes = await hub.customers.applyBatch(
      [
        add("N1"),
        add("N2", { customAttributes: [{ name: "NO SUCH TYPE", values: ["x"] }] }),
        add("N3"),
      ],
      { actor: "batch", channel: "batch" },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.change : outcome.error.code))).toEqual([
      "CREATE",
      "UNKNOWN_ATTRIBUTE_TYPE",
      "CREATE",
    ]);
    // The group's ids were drawn once: it was not rolled back and replayed a request at a time.
    expect((await lastId()) - before).toBe(3);
  });

  it("finds customers by email, phone, name and postal code, a page at a time", async () => {
    const hub = await engine.freshHub();
    const requests = Array.from({ length: 5 }, (_, index) => ({
      action: "Add" as const,
      request: {
        individual: {
          names: { FIRST: "Mary", LAST: index % 2 === 0 ? "Jones" : "Smith" },
          emails: [{ emailAddress: `mary${index}@example.com` }],
          telephones: [{ phoneNumber: `1 (440) 555-010${index}` }],
          addresses: [{ postalCode: "k1a 0b1" }],
        },
      },
    }));
    await hub.customers.applyBatch(requests, api);
    expect((await hub.customers.find({ email: "MARY3#example.com" })).items).toHaveLength(1);
    expect((await hub.customers.find({ phone: "440-555-0102" })).items).toHaveLength(1);
    expect((await hub.customers.find({ name: "mary jones" })).items).toHaveLength(3);
    const first = await hub.customers.find({ postalCode: "K1A0B1", limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await hub.customers.find({
      postalCode: "K1A0B1",
      limit: 2,
      cursor: first.nextCursor!,
    });
    const third = await hub.customers.find({
      postalCode: "K1A0B1",
      limit: 2,
      cursor: second.nextCursor!,
    });
    expect([...first.items, ...second.items, ...third.items].map((c) => c.customerID)).toHaveLength(
      5,
    );
    expect(third.nextCursor).toBeNull();
    await expect(hub.customers.find({ cursor: "garbage" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });
});
