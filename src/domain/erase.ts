/**
 * Erasure for a data-subject request (SPEC 9): the personal data goes, the customer stays as an
 * anonymous shell so totals, cards and the history of changes still add up.
 */
import type { Applied } from "./apply-request.js";
import { emptyIndividual, type CustomerState } from "./customer.js";

export function eraseCustomer(state: CustomerState, now: string): Applied {
  const erased: CustomerState = {
    ...structuredClone(state),
    individual: emptyIndividual(),
    orgName: null,
    businessName: null,
    employeeID: null,
    customerNumber: null,
    customerReference: null,
    lastUpdateInfo: { updateUserID: null, updateDate: now },
    // Alternate keys are identifiers of the person (EMAIL, PHONE, ...): removed outright.
    alternateKeys: [],
    customAttributes: [],
    notes: [],
    contactPreferences: [],
    validationIssues: [],
    erasedAt: now,
  };
  return {
    state: erased,
    changedFields: [
      "individual",
      "alternateKeys",
      "customAttributes",
      "notes",
      "contactPreferences",
      "erasedAt",
    ],
    deletedAlternateKeys: state.alternateKeys.map((key) => ({ ...key })),
  };
}
