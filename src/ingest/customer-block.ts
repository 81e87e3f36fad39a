/**
 * A `<Customer>` block as a typed request: the XML elements and attributes of seeds/003 (Add,
 * Add or Update, Update, Delete, home location) mapped onto `CustomerRequest`. Elements the
 * document does not list, and `<ActivitySummary>`, are ignored as the document says. The
 * `<Individual>` element is read in individual-block.ts; the value conventions both share
 * (empty is absent, flags, UpdateType) are in block-fields.ts.
 */
import { CusthubError } from "../domain/errors.js";
import {
  holdsCustomerData,
  type AlternateKeyInput,
  type AlternateKeyUpdateType,
  type ContactPreferenceInput,
  type CustomerRequest,
  type NoteAction,
  type NoteInput,
} from "../domain/requests.js";
import type { MergeParty, MergeRequest } from "../services/customer-merge.js";
import type { CustomerAction, CustomerOperation } from "../services/customers.js";
import { childrenNamed, onlyChild, type XmlElement } from "./xml-elements.js";
import { containerOf, flag, textOf } from "./block-fields.js";
import { individualInput } from "./individual-block.js";

const ACTIONS: Record<string, CustomerAction> = {
  add: "Add",
  addorupdate: "AddorUpdate",
  update: "Update",
  delete: "Delete",
};

/** The block's `Action` attribute, as the document spells it. */
export function blockAction(block: XmlElement): CustomerAction | "Merge" {
  if ((block.attributes.Action ?? "").trim().toLowerCase() === "merge") return "Merge";
  const raw = block.attributes.Action ?? "";
  const action = ACTIONS[raw.trim().toLowerCase()];
  if (!action) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `<Customer Action="${raw}"> is not one of Add, AddorUpdate, Update, Delete, Merge.`,
      { action: raw },
    );
  }
  return action;
}

export function customerOperation(block: XmlElement): CustomerOperation {
  const action = blockAction(block);
  if (action === "Merge") {
    throw new CusthubError(
      "INVALID_REQUEST",
      "A Merge block is a merge request, not a customer operation.",
      {},
    );
  }
  // Delete reads the keys only: "If any fields other than the ones listed above are included in
  // a request, they will be ignored" (seeds/003 Delete Customer).
  const request =
    action === "Delete"
      ? { customerID: textOf(block, "CustomerID"), alternateKeys: alternateKeys(block) }
      : customerRequest(block);
  if ((action === "Add" || action === "AddorUpdate") && !holdsCustomerData(request, action)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `The <Customer Action="${action}"> block holds no customer data: an anonymous customer ` +
        'needs an alternate key at least (seeds/003 "Anonymous Customer").',
      {},
    );
  }
  return { action, request };
}

function customerRequest(block: XmlElement): CustomerRequest {
  const request: CustomerRequest = {
    customerID: textOf(block, "CustomerID"),
    retailStoreID: textOf(block, "RetailStoreID"),
    signupDate: textOf(block, "SignupDate"),
    customerNumber: textOf(block, "CustomerNumber"),
    customerReference: textOf(block, "CustomerReference"),
    orgName: textOf(block, "OrgName"),
    custOrgTypcode: textOf(block, "CustOrgTypcode"),
    employeeID: textOf(block, "EmployeeID"),
    prospect: flag(textOf(block, "Prospect"), "Prospect"),
    source: textOf(block, "Source"),
    businessName: textOf(block, "BusinessName"),
    customerClass: textOf(block, "CustomerClass"),
    alternateKeys: alternateKeys(block),
  };
  const lastUpdate = containerOf(block, "LastUpdateInfo");
  if (lastUpdate) {
    request.lastUpdateInfo = {
      updateUserID: textOf(lastUpdate, "UpdateUserID"),
      updateDate: textOf(lastUpdate, "UpdateDate"),
    };
  }
  const affiliation = onlyChild(block, "Affiliation");
  if (affiliation) {
    // `Action="Add"` and `UpdateType="New"` are the same thing (seeds/003 Home Location); an
    // Affiliation with neither, as in the Add example, sets the home location too.
    for (const [name, only] of [
      ["Action", "add"],
      ["UpdateType", "new"],
    ] as const) {
      const given = affiliation.attributes[name]?.trim();
      // Any other value asks for something the document has no word for (a removal, say):
      // refused, rather than applied as if it had said Add.
      if (given && given.toLowerCase() !== only) {
        throw new CusthubError(
          "INVALID_REQUEST",
          `<Affiliation ${name}="${given}"> (line ${affiliation.line}) is not a home location request: ${name} can only be "${only === "add" ? "Add" : "New"}".`,
          { field: `Affiliation.${name}` },
        );
      }
    }
    const store = textOf(affiliation, "RetailStoreID");
    if (store !== undefined) request.affiliation = { retailStoreID: store };
    else if (
      affiliation.attributes.Action?.trim().toLowerCase() === "add" ||
      affiliation.attributes.UpdateType?.trim().toLowerCase() === "new"
    ) {
      // A home location request's minimum data is the customer and the Retail Location ID:
      // <RetailStoreID> is "[required]" (seeds/003 "Add/Update Home Location").
      throw new CusthubError(
        "INVALID_REQUEST",
        `The home location request (<Affiliation>, line ${affiliation.line}) has no RetailStoreID.`,
        { field: "RetailStoreID" },
      );
    }
  }
  const individual = containerOf(containerOf(block, "EntityInformation") ?? block, "Individual");
  if (individual) request.individual = individualInput(individual);
  const preferences = containerOf(block, "PersonalPreferences");
  if (preferences)
    request.contactPreferences = childrenNamed(preferences, "ContactPreference").map(
      contactPreference,
    );
  const attributes = childrenNamed(block, "CustomAttribute");
  if (attributes.length > 0) {
    const given = attributes.map((attribute, index) => {
      const name = (attribute.attributes.name ?? attribute.attributes.Name ?? "").trim();
      if (!name) {
        throw new CusthubError(
          "UNKNOWN_ATTRIBUTE_TYPE",
          `CustomAttribute ${index + 1} has no name.`,
          {
            attributeIndex: index,
          },
        );
      }
      return {
        name,
        values: childrenNamed(attribute, "AttributeValue").map((value) => value.text),
      };
    });
    // One attribute named in several elements holds all their values: the rules gather them
    // (apply-lists.ts), for every channel.
    request.customAttributes = given;
  }
  const notes = containerOf(block, "CustomerNotes");
  if (notes) request.notes = childrenNamed(notes, "CustomerNote").map(noteInput);
  return request;
}

function alternateKeys(block: XmlElement): AlternateKeyInput[] {
  return childrenNamed(block, "AlternateKey").map((key) => {
    const raw = key.attributes.UpdateType?.trim();
    let updateType: AlternateKeyUpdateType | undefined;
    if (raw) {
      const types: Record<string, AlternateKeyUpdateType> = {
        old: "Old",
        new: "New",
        set: "Set",
        delete: "DELETE",
      };
      updateType = types[raw.toLowerCase()];
      if (!updateType) {
        throw new CusthubError(
          "INVALID_REQUEST",
          "AlternateKey UpdateType must be Old, New, Set or DELETE.",
          {
            field: "AlternateKey",
          },
        );
      }
    }
    return {
      typeCode: key.attributes.TypeCode ?? null,
      alternateID: textOf(key, "AlternateID") ?? null,
      updateType,
    };
  });
}

function contactPreference(element: XmlElement): ContactPreferenceInput {
  const where = `<ContactPreference> (line ${element.line})`;
  const contactType = element.attributes.ContactType?.trim();
  if (!contactType)
    throw new CusthubError("INVALID_REQUEST", `${where} has no ContactType.`, {
      field: "ContactType",
    });
  return {
    contactType,
    subTypeCode: element.attributes.SubTypeCode,
    permission: flag(element.attributes.Permission, `${where} Permission`) ?? null,
  };
}

function noteInput(element: XmlElement): NoteInput {
  const attributes = element.attributes;
  const where = `<CustomerNote> (line ${element.line})`;
  const rawSequence = attributes.sequence?.trim();
  let sequence: number | undefined;
  if (rawSequence) {
    sequence = Number(rawSequence);
    if (!Number.isSafeInteger(sequence) || sequence < 0) {
      throw new CusthubError("INVALID_REQUEST", `${where} sequence must be a whole number.`, {
        field: "sequence",
      });
    }
  }
  const rawAction = attributes.action?.trim().toUpperCase();
  if (rawAction && rawAction !== "ADD" && rawAction !== "UPDATE" && rawAction !== "DELETE") {
    throw new CusthubError("INVALID_REQUEST", `${where} action must be ADD, UPDATE or DELETE.`, {
      field: "action",
    });
  }
  return {
    text: element.text,
    type: attributes.type,
    createDate: attributes.createDate,
    createUser: attributes.createUser,
    location: attributes.location,
    action: (rawAction || undefined) as NoteAction | undefined,
    sequence,
    privateFlag: flag(attributes.privateFlag, `${where} privateFlag`),
  };
}

/** A `<Customer Action="Merge">` block: `<MergeSource>` and `<MergeTargetSet>` (seeds/003). */
export function mergeRequest(block: XmlElement): MergeRequest {
  const party = (element: XmlElement): MergeParty => {
    // One key: a party named by two could be two customers, and which one is meant is the file's
    // to say.
    const key = onlyChild(element, "AlternateKey");
    const typeCode = key?.attributes.TypeCode?.trim();
    // The example writes <AlternateID>; the document's field table, <AlternateKey> inside it.
    if (key && onlyChild(key, "AlternateID") && onlyChild(key, "AlternateKey")) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `<AlternateKey> (line ${key.line}) has both an <AlternateID> and an <AlternateKey>; only one is allowed.`,
        { field: "AlternateKey", line: key.line },
      );
    }
    const alternateID = textOf(key, "AlternateID") ?? textOf(key, "AlternateKey");
    return {
      customerID: textOf(element, "CustomerID"),
      alternateKey: typeCode && alternateID ? { typeCode, alternateID } : undefined,
    };
  };
  /** A party that names no one is refused, saying what its key lacks. */
  const checkNamed = (element: XmlElement, candidate: MergeParty, role: string): void => {
    if (candidate.customerID !== undefined || candidate.alternateKey !== undefined) return;
    const key = onlyChild(element, "AlternateKey");
    const typeCode = key?.attributes.TypeCode?.trim();
    throw new CusthubError(
      "CUSTOMER_NOT_FOUND",
      !key
        ? `${role} names no CustomerID and no alternate key.`
        : !typeCode
          ? `${role}'s alternate key has no TypeCode, and it names no CustomerID.`
          : `${role}'s alternate key (${typeCode}) has no AlternateID, and it names no CustomerID.`,
      { role },
    );
  };
  const sources = childrenNamed(block, "MergeSource");
  if (sources.length > 1) {
    // "There can only be a single Merge Source record" (seeds/003).
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      `The merge names ${sources.length} MergeSource records; there can only be one.`,
      { sources: sources.length },
    );
  }
  // "If no Source customer is specified", the duplicate customer rules choose one (seeds/003): an
  // empty <MergeSource/> specifies none (its empty tag is warned of). One with a key, even an
  // unfinished one, meant somebody, and is refused below if it names no one.
  const sourceElement = sources.find(
    (element) =>
      textOf(element, "CustomerID") !== undefined ||
      childrenNamed(element, "AlternateKey").length > 0,
  );
  const source = sourceElement ? party(sourceElement) : undefined;
  const stray = childrenNamed(block, "MergeTarget").length;
  if (stray > 0) {
    // Left out, the merge would leave those customers as they are and still succeed.
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      `The merge has ${stray} MergeTarget element${stray === 1 ? "" : "s"} outside <MergeTargetSet>; targets go inside it.`,
      { targetsOutsideSet: stray },
    );
  }
  // The document's example holds every target in one <MergeTargetSet>; the targets of several
  // sets are all merged, rather than all but the first set's silently left out.
  const targetElements = childrenNamed(block, "MergeTargetSet").flatMap((set) =>
    childrenNamed(set, "MergeTarget"),
  );
  const targets = targetElements.map(party);
  targets.forEach((target, index) =>
    checkNamed(targetElements[index]!, target, `MergeTarget ${index + 1}`),
  );
  if (sourceElement && source) checkNamed(sourceElement, source, "The MergeSource");
  return { source, targets };
}
