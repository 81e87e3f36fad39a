/**
 * Datanuum's customer body from the customer record, table-driven from seeds/000 "Builds customer
 * payload": personal information (first name, last name, gender, birth date), contact details
 * (mobile phone, email address), address information (nationality from country field), and the
 * POS register code (seeds/000 "Extracts POS register"; missing is handled gracefully). The field
 * names are those docs/connectors.md defines; the simulator checks the same list.
 */
import { describe, expect, it } from "vitest";
import { emptyCustomer, type CustomerState } from "../../src/domain/customer.js";
import { toCustomerResponse } from "../../src/domain/customer-response.js";
import { datanuumCustomerOf } from "../../src/sync/destinations/datanuum/mapping.js";
import {
  parseDatanuumSettings,
  parsePosRegisterField,
  type DatanuumSettings,
} from "../../src/sync/destinations/datanuum/settings.js";
import { DATANUUM_FIELDS } from "../simulators/datanuum-receiver.js";

const flags = { validFlag: true, label: null, contactPreferenceCode: null, active: true };

function customer(change: (state: CustomerState) => void): CustomerState {
  const state = emptyCustomer("2142");
  state.individual.names.FIRST = "Ann";
  state.individual.names.LAST = "Smith";
  change(state);
  return state;
}

function phone(
  typeCode: string,
  phoneNumber: string,
  primaryFlag = false,
  active = true,
  validFlag = true,
) {
  return {
    ...flags,
    typeCode,
    phoneNumber,
    primaryFlag,
    active,
    validFlag,
    extension: null,
    areaCode: null,
  };
}

function email(emailAddress: string, primaryFlag: boolean, validFlag = true) {
  return { ...flags, typeCode: "HOME", primaryFlag, validFlag, emailAddress };
}

function address(country: string, primaryFlag: boolean) {
  return {
    ...flags,
    typeCode: "HOME",
    primaryFlag,
    addressLine1: "1 Main St",
    addressLine2: null,
    addressLine3: null,
    addressLine4: null,
    apartmentNumber: null,
    city: "Springfield",
    territory: null,
    postalCode: "12345",
    county: null,
    country,
  };
}

const defaults: DatanuumSettings = parseDatanuumSettings({
  rewardPointsConfig: "DATANUUM_CONFIG_01",
  posRegisterField: "customAttribute:POS_REGISTER",
  mobilePhoneTypes: "MOBILE,CELL",
});

/** [the document's words, the field, the customer, the settings, the value sent] */
const cases: [
  string,
  string,
  (state: CustomerState) => void,
  Partial<DatanuumSettings>,
  unknown,
][] = [
  ["first name (name1)", "firstName", () => undefined, {}, "Ann"],
  ["last name (name2)", "lastName", () => undefined, {}, "Smith"],
  ["gender M", "gender", (s) => (s.individual.genderType = "M"), {}, "Male"],
  ["gender F", "gender", (s) => (s.individual.genderType = "F"), {}, "Female"],
  ["gender not M or F: not sent", "gender", (s) => (s.individual.genderType = "X"), {}, null],
  ["gender missing", "gender", () => undefined, {}, null],
  [
    "birth date yyyy-MM-dd",
    "birthDate",
    (s) => (s.individual.birthDate = "1980-02-29"),
    {},
    "1980-02-29",
  ],
  ["birth date missing", "birthDate", () => undefined, {}, null],
  [
    "mobile phone: the MOBILE telephone",
    "mobilePhone",
    (s) =>
      (s.individual.telephones = [
        phone("HOME", "5551110000", true),
        phone("MOBILE", "5552220000"),
      ]),
    {},
    "5552220000",
  ],
  [
    "mobile phone: an inactive mobile is not taken; the primary telephone is",
    "mobilePhone",
    (s) =>
      (s.individual.telephones = [
        phone("MOBILE", "5552220000", false, false),
        phone("HOME", "5551110000", true),
      ]),
    {},
    "5551110000",
  ],
  [
    "mobile phone: never the fax",
    "mobilePhone",
    (s) => (s.individual.telephones = [phone("FAX", "5553330000", true)]),
    {},
    null,
  ],
  [
    "mobile phone: the configured type",
    "mobilePhone",
    (s) => (s.individual.telephones = [phone("MOBILE", "5552220000"), phone("GSM", "5554440000")]),
    { mobilePhoneTypes: ["GSM"] },
    "5554440000",
  ],
  [
    "mobile phone: no mobile, the primary fax passed over for the telephone that is not one",
    "mobilePhone",
    (s) =>
      (s.individual.telephones = [phone("FAX", "5553330000", true), phone("HOME", "5551110000")]),
    {},
    "5551110000",
  ],
  [
    "mobile phone: no mobile, the primary telephone invalid: the first valid one (the primary entry's rule)",
    "mobilePhone",
    (s) =>
      (s.individual.telephones = [
        phone("HOME", "0551110000", true, true, false),
        phone("WORK", "5556660000"),
      ]),
    {},
    "5556660000",
  ],
  [
    "email address: the primary one",
    "emailAddress",
    (s) =>
      (s.individual.emails = [
        { ...flags, typeCode: "HOME", primaryFlag: false, emailAddress: "a@example.com" },
        { ...flags, typeCode: "WORK", primaryFlag: true, emailAddress: "b@example.com" },
      ]),
    {},
    "b@example.com",
  ],
  ["email address missing", "emailAddress", () => undefined, {}, null],
  [
    "email address: an invalid primary one is not sent (seeds/000: invalid formats are rejected)",
    "emailAddress",
    (s) =>
      (s.individual.emails = [
        email("ivan.invalid-at-example", true, false),
        email("ivan@example.com", false),
      ]),
    {},
    "ivan@example.com",
  ],
  [
    "email address: none valid, none sent",
    "emailAddress",
    (s) => (s.individual.emails = [email("ivan.invalid-at-example", true, false)]),
    {},
    null,
  ],
  [
    "mobile phone: an invalid mobile is not taken; the primary valid telephone is",
    "mobilePhone",
    (s) =>
      (s.individual.telephones = [
        phone("MOBILE", "555-CALL-NOW", false, true, false),
        phone("HOME", "5551110000", true),
      ]),
    {},
    "5551110000",
  ],
  [
    "nationality: a lower-case country in capitals, as NewBase's iso_country",
    "nationality",
    (s) => (s.individual.addresses = [address("us", true)]),
    {},
    "US",
  ],
  [
    "nationality: a country that is no code is not sent (Datanuum takes 2-3 capitals)",
    "nationality",
    (s) => (s.individual.addresses = [address("United States", true)]),
    {},
    null,
  ],
  [
    "nationality from the primary address's country",
    "nationality",
    (s) => (s.individual.addresses = [address("DE", false), address("NL", true)]),
    {},
    "NL",
  ],
  [
    "nationality: no primary address, the first active one (docs/connectors.md)",
    "nationality",
    (s) => (s.individual.addresses = [address("DE", false)]),
    {},
    "DE",
  ],
  [
    "POS register from the custom attribute POS_REGISTER",
    "posRegisterCode",
    (s) => (s.customAttributes = [{ name: "POS_REGISTER", values: ["REG-07"] }]),
    {},
    "REG-07",
  ],
  ["POS register missing: handled gracefully", "posRegisterCode", () => undefined, {}, null],
  [
    "POS register from a configured alternate key",
    "posRegisterCode",
    (s) => (s.alternateKeys = [{ typeCode: "POSREG", alternateID: "R1" }]),
    { posRegisterField: { kind: "alternateKey", typeCode: "POSREG" } },
    "R1",
  ],
  [
    "POS register from a configured alternate key written in lower case (type codes are kept in capitals)",
    "posRegisterCode",
    (s) => (s.alternateKeys = [{ typeCode: "POSREG", alternateID: "R1" }]),
    { posRegisterField: parsePosRegisterField("alternateKey:posreg") },
    "R1",
  ],
  [
    "POS register from the retail store",
    "posRegisterCode",
    (s) => (s.retailStoreID = "STORE9"),
    { posRegisterField: { kind: "retailStoreID" } },
    "STORE9",
  ],
  ["customer code", "customerCode", () => undefined, {}, "2142"],
];

describe("Datanuum customer body (seeds/000)", () => {
  it.each(cases)("%s -> %s", (_words, field, change, settings, expected) => {
    const body = datanuumCustomerOf(toCustomerResponse(customer(change)), {
      ...defaults,
      ...settings,
    });
    expect((body as unknown as Record<string, unknown>)[field]).toEqual(expected);
  });

  it("sends exactly the documented fields, no more", () => {
    const body = datanuumCustomerOf(toCustomerResponse(customer(() => undefined)), defaults);
    expect(Object.keys(body).sort()).toEqual([...DATANUUM_FIELDS].sort());
  });

  it.each([
    ["posRegisterField", "ref5"],
    ["mobilePhoneTypes", "MOBILE;CELL"],
    ["rewardPointsConfig", ""],
  ])("refuses %s = %j, naming the key", (key, value) => {
    expect(() =>
      parseDatanuumSettings({
        rewardPointsConfig: "X",
        posRegisterField: "customAttribute:POS_REGISTER",
        mobilePhoneTypes: "MOBILE",
        [key]: value,
      }),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_SETTING",
        details: expect.objectContaining({ key }),
      }),
    );
  });
});
