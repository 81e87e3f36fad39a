/**
 * Renders a customer as `CustomerResponseType`, the JSON of the data-sync document's example
 * payload (seeds/001, "Request Body Examples"): the same property names, nesting, nulls, string
 * flags (`"validFlag":"true"`) and string-typed numbers (`"totalSalesAmount":"0"`). Entries the
 * example shows only as empty arrays are named after the XML request's elements in camelCase; the
 * full shape is written down in docs/customer-record.md.
 */
import { isValid, type CustomerState, type NameLocation } from "./customer.js";

const flag = (value: boolean): "true" | "false" => (value ? "true" : "false");

const ALWAYS_RENDERED_NAMES: readonly NameLocation[] = ["FIRST", "MIDDLE", "LAST"];
const NAME_ORDER: readonly NameLocation[] = ["FIRST", "FIRST2", "MIDDLE", "LAST", "LAST2"];

export type CustomerResponse = ReturnType<typeof toCustomerResponse>;

export function toCustomerResponse(state: CustomerState) {
  const individual = state.individual;
  return {
    customerID: state.customerID,
    signupDate: state.signupDate,
    retailStoreID: state.retailStoreID,
    firstPurchaseDate: state.firstPurchaseDate,
    lastPurchaseDate: state.lastPurchaseDate,
    validation: { validFlag: flag(isValid(state)) },
    orgName: state.orgName,
    custOrgTypcode: state.custOrgTypcode,
    employeeID: state.employeeID,
    businessName: state.businessName,
    customerClass: state.customerClass,
    source: state.source,
    prospect: state.prospect,
    customerOwnerID: null,
    householdKey: "",
    customerNumber: state.customerNumber,
    customerReference: state.customerReference,
    lastUpdateInfo:
      state.lastUpdateInfo === null
        ? null
        : {
            updateUserID: state.lastUpdateInfo.updateUserID,
            updateDate: state.lastUpdateInfo.updateDate,
          },
    affiliation: [{ retailStoreID: state.homeRetailStoreID }],
    entityInformation: {
      individual: {
        suffix: individual.suffix,
        sortingName: null,
        nickName: individual.nickName,
        salutation: individual.salutation,
        name: {
          name: NAME_ORDER.filter(
            (location) =>
              ALWAYS_RENDERED_NAMES.includes(location) || individual.names[location] !== null,
          ).map((location) => ({ location, value: individual.names[location] })),
        },
        contactInformation: {
          address: individual.addresses.map((address) => ({
            typeCode: address.typeCode,
            primaryFlag: flag(address.primaryFlag),
            validFlag: flag(address.validFlag),
            activeFlag: flag(address.active),
            label: address.label,
            contactPreferenceCode: address.contactPreferenceCode,
            addressLine1: address.addressLine1,
            addressLine2: address.addressLine2,
            addressLine3: address.addressLine3,
            addressLine4: address.addressLine4,
            apartmentNumber: address.apartmentNumber,
            city: address.city,
            territory: address.territory,
            postalCode: address.postalCode,
            county: address.county,
            country: address.country,
          })),
          telephone: individual.telephones.map((telephone) => ({
            typeCode: telephone.typeCode,
            primaryFlag: flag(telephone.primaryFlag),
            validFlag: flag(telephone.validFlag),
            activeFlag: flag(telephone.active),
            label: telephone.label,
            contactPreferenceCode: telephone.contactPreferenceCode,
            phoneNumber: telephone.phoneNumber,
            extension: telephone.extension,
            areaCode: telephone.areaCode,
          })),
          email: individual.emails.map((email) => ({
            typeCode: email.typeCode,
            primaryFlag: flag(email.primaryFlag),
            validFlag: flag(email.validFlag),
            activeFlag: flag(email.active),
            label: email.label,
            contactPreferenceCode: email.contactPreferenceCode,
            emailAddress: email.emailAddress,
          })),
        },
        personalSummary: {
          genderType: individual.genderType,
          birthDate: individual.birthDate,
          anniversary: individual.anniversary,
          maritalStatusCode: individual.maritalStatusCode,
          ethnicity: individual.ethnicity,
          rent: individual.rent,
          languageCode: individual.languageCode,
        },
        socioEconomicProfile: {
          annualIncomeAmount: individual.annualIncomeAmount,
          netWorth: individual.netWorth,
          highestEducationalLevelName: individual.highestEducationalLevelName,
        },
        // Named one by one, in the document's order: a record read back from JSONB has its keys
        // in JSONB's order, which a spread would carry into the response.
        lifetimeActivitySummary: {
          totalReturnsAmount: state.lifetimeActivitySummary.totalReturnsAmount,
          totalSalesAmount: state.lifetimeActivitySummary.totalSalesAmount,
          totalTransactionCount: state.lifetimeActivitySummary.totalTransactionCount,
          totalItemsSoldCount: state.lifetimeActivitySummary.totalItemsSoldCount,
          totalItemsReturnedCount: state.lifetimeActivitySummary.totalItemsReturnedCount,
        },
        yearToDateActivitySummary: {
          yearToDateReturnsAmount: state.yearToDateActivitySummary.totalReturnsAmount,
          yearToDateSalesAmount: state.yearToDateActivitySummary.totalSalesAmount,
          yearToDateTransactionCount: state.yearToDateActivitySummary.totalTransactionCount,
          yearToDateItemsSoldCount: state.yearToDateActivitySummary.totalItemsSoldCount,
          yearToDateItemsReturnedCount: state.yearToDateActivitySummary.totalItemsReturnedCount,
        },
      },
    },
    alternateKey: state.alternateKeys.map((key) => ({
      typeCode: key.typeCode,
      alternateID: key.alternateID,
    })),
    customAttribute: state.customAttributes.map((attribute) => ({
      name: attribute.name,
      attributeValue: [...attribute.values],
    })),
    customerNotes: {
      customerNote: state.notes.map((note) => ({
        sequence: String(note.sequence),
        type: note.type,
        createDate: note.createDate,
        createUser: note.createUser,
        location: note.location,
        privateFlag: flag(note.privateFlag),
        text: note.text,
      })),
    },
    eligiblePromotionDeals: { promotionDealId: [] as string[] },
    customerSegments: {
      segment: state.segments.map((segment) => ({
        segmentId: segment.segmentId,
        segmentName: segment.segmentName,
      })),
    },
    customerCards: {
      instrument: state.cards.map((card) => ({
        cardNumber: card.cardNumber,
        instrumentID: card.instrumentID,
        program: card.program,
        status: card.status,
        expirationDate: card.expirationDate,
      })),
    },
    // null when none, as in the example; else the list under its singular, like the others.
    associateAssignments:
      state.associateAssignments.length === 0
        ? null
        : {
            associateAssignment: state.associateAssignments.map((assignment) => ({
              role: assignment.role,
              associateID: assignment.associateID,
              retailStoreID: assignment.retailStoreID,
            })),
          },
    personalPreferences: {
      contactPreference: state.contactPreferences.map((preference) => ({
        contactType: preference.contactType,
        subTypeCode: preference.subTypeCode,
        permission: flag(preference.permission),
      })),
    },
    franchisees: {
      franchisee: state.franchisees.map((franchisee) => ({
        franchiseeId: franchisee.franchiseeId,
        franchiseeName: franchisee.franchiseeName,
      })),
    },
  };
}
