/**
 * The customer record as the API answers it: `CustomerResponseType` of src/domain/customer-response.ts
 * (docs/customer-record.md), with the same string flags (`"true"`/`"false"`) and string-typed
 * numbers; and the answers of the routes that change a customer.
 */
import { NAME_LOCATIONS } from "../../domain/customer.js";
import {
  closedObject,
  component,
  integer,
  listOf,
  nullableText,
  oneOfText,
  orNull,
  text,
} from "./replies.js";

const flag = oneOfText(["true", "false"]);
const amount = { type: "string", pattern: "^-?[0-9]+(\\.[0-9]+)?$" } as const;

const entryFlags = {
  typeCode: nullableText,
  primaryFlag: flag,
  validFlag: flag,
  activeFlag: flag,
  label: nullableText,
  contactPreferenceCode: nullableText,
};

/** A card as the record shows it; the card routes answer these and its holder. */
export const cardFields = {
  cardNumber: text,
  instrumentID: nullableText,
  program: nullableText,
  status: oneOfText(["INACTIVE", "ACTIVE", "BLOCKED"]),
  expirationDate: nullableText,
};

export const customerRecordSchema = component(
  "CustomerRecord",
  closedObject({
    customerID: text,
    signupDate: nullableText,
    retailStoreID: nullableText,
    firstPurchaseDate: nullableText,
    lastPurchaseDate: nullableText,
    validation: closedObject({ validFlag: flag }),
    orgName: nullableText,
    custOrgTypcode: nullableText,
    employeeID: nullableText,
    businessName: nullableText,
    customerClass: nullableText,
    source: nullableText,
    prospect: { type: "boolean" },
    customerOwnerID: nullableText,
    householdKey: text,
    customerNumber: nullableText,
    customerReference: nullableText,
    lastUpdateInfo: orNull(closedObject({ updateUserID: nullableText, updateDate: nullableText })),
    affiliation: listOf(closedObject({ retailStoreID: nullableText })),
    entityInformation: closedObject({
      individual: closedObject({
        suffix: nullableText,
        sortingName: nullableText,
        nickName: nullableText,
        salutation: nullableText,
        name: closedObject({
          name: listOf(closedObject({ location: oneOfText(NAME_LOCATIONS), value: nullableText })),
        }),
        contactInformation: closedObject({
          address: listOf(
            closedObject({
              ...entryFlags,
              addressLine1: nullableText,
              addressLine2: nullableText,
              addressLine3: nullableText,
              addressLine4: nullableText,
              apartmentNumber: nullableText,
              city: nullableText,
              territory: nullableText,
              postalCode: nullableText,
              county: nullableText,
              country: nullableText,
            }),
          ),
          telephone: listOf(
            closedObject({
              ...entryFlags,
              phoneNumber: nullableText,
              extension: nullableText,
              areaCode: nullableText,
            }),
          ),
          email: listOf(closedObject({ ...entryFlags, emailAddress: nullableText })),
        }),
        personalSummary: closedObject({
          genderType: nullableText,
          birthDate: nullableText,
          anniversary: nullableText,
          maritalStatusCode: nullableText,
          ethnicity: nullableText,
          rent: { type: "boolean" },
          languageCode: nullableText,
        }),
        socioEconomicProfile: closedObject({
          annualIncomeAmount: nullableText,
          netWorth: nullableText,
          highestEducationalLevelName: nullableText,
        }),
        lifetimeActivitySummary: closedObject({
          totalReturnsAmount: amount,
          totalSalesAmount: amount,
          totalTransactionCount: amount,
          totalItemsSoldCount: amount,
          totalItemsReturnedCount: amount,
        }),
        yearToDateActivitySummary: closedObject({
          yearToDateReturnsAmount: amount,
          yearToDateSalesAmount: amount,
          yearToDateTransactionCount: amount,
          yearToDateItemsSoldCount: amount,
          yearToDateItemsReturnedCount: amount,
        }),
      }),
    }),
    alternateKey: listOf(closedObject({ typeCode: text, alternateID: text })),
    customAttribute: listOf(closedObject({ name: text, attributeValue: listOf(text) })),
    customerNotes: closedObject({
      customerNote: listOf(
        closedObject({
          sequence: { type: "string", pattern: "^[0-9]+$" },
          type: text,
          createDate: nullableText,
          createUser: nullableText,
          location: nullableText,
          privateFlag: flag,
          text,
        }),
      ),
    }),
    eligiblePromotionDeals: closedObject({ promotionDealId: listOf(text) }),
    customerSegments: closedObject({
      segment: listOf(closedObject({ segmentId: text, segmentName: text })),
    }),
    customerCards: closedObject({ instrument: listOf(closedObject(cardFields)) }),
    associateAssignments: orNull(
      closedObject({
        associateAssignment: listOf(
          closedObject({ role: text, associateID: text, retailStoreID: nullableText }),
        ),
      }),
    ),
    personalPreferences: closedObject({
      contactPreference: listOf(
        closedObject({ contactType: text, subTypeCode: nullableText, permission: flag }),
      ),
    }),
    franchisees: closedObject({
      franchisee: listOf(closedObject({ franchiseeId: integer, franchiseeName: text })),
    }),
  }),
);

/** A finding stored with the customer: an invalid field, or a value not written. */
const validationIssueSchema = closedObject(
  {
    field: text,
    code: text,
    message: text,
    severity: oneOfText(["error", "warning"]),
    entry: closedObject({
      kind: oneOfText(["address", "email", "telephone"]),
      index: integer,
    }),
  },
  ["entry"],
);

const change = <T extends string>(actions: readonly T[]) =>
  ({
    type: "string",
    enum: [...actions, null],
    nullable: true,
    description: "The pending-queue action the change stands for; null: nothing changed",
  }) as const;

/** What add, add-or-update and update answer (docs/api.md). */
export const changeReplySchema = component(
  "CustomerChange",
  closedObject({
    customerID: text,
    change: change(["CREATE", "UPDATE", "DELETE"]),
    record: customerRecordSchema,
    validationIssues: listOf(validationIssueSchema),
  }),
);

/** What a delete answers. */
export const deleteReplySchema = closedObject({ customerID: text, change: change(["DELETE"]) });

/** What the note, segment, franchisee and associate routes answer: the customer's UPDATE or none. */
export const editReplySchema = component(
  "CustomerEdit",
  closedObject({ customerID: text, change: change(["UPDATE"]), record: customerRecordSchema }),
);

/** What a merge answers: the new customer, the ones merged into it, those the override left out. */
export const mergeReplySchema = closedObject({
  customerID: text,
  mergedFrom: listOf(text),
  skipped: listOf(
    closedObject({
      role: text,
      customerID: nullableText,
      reason: oneOfText(["NOT_FOUND", "HAS_CARDS", "HAS_TRANSACTIONS"]),
      named: text,
    }),
  ),
  record: customerRecordSchema,
});

/** A page of the customer search (SPEC 10). */
export const customerPageSchema = closedObject({
  items: listOf(customerRecordSchema),
  nextCursor: nullableText,
});
