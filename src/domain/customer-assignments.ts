/**
 * What a customer is assigned to beyond its own data: segments (seeds/001 Table H-1
 * `addCustomerToSegment`, `removeCustomerFromSegment`), franchisees (`addOrDeleteCustomerFranchisees`)
 * and associates (`updateAssociateAssignment`). Pure functions from a customer to the next one;
 * each returns null when the customer would not change, so nothing is written or queued.
 */
import type { Applied } from "./apply-request.js";
import type {
  AssociateAssignment,
  CustomerSegment,
  CustomerState,
  Franchisee,
} from "./customer.js";
import { CusthubError } from "./errors.js";

const applied = (state: CustomerState, field: string): Applied => ({
  state,
  changedFields: [field],
  deletedAlternateKeys: [],
});

// Segments ---------------------------------------------------------------------------------------

/** A segment definition (the segment master). */
export interface Segment {
  segmentId: string;
  name: string;
  description: string | null;
}

export interface NewSegment {
  name: string;
  description?: string | null | undefined;
}

/**
 * Checks a new segment definition. A name has a letter or sign besides digits, so that a segment
 * can be named by its id or its name alike (`custhub customers segment add 1000 VIP`).
 */
export function checkNewSegment(input: NewSegment): { name: string; description: string | null } {
  const name = input.name.trim().replace(/\s+/g, " ");
  if (name === "" || name.length > 60 || /^\d+$/.test(name)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      "A segment name is 1-60 characters and not only digits.",
      { field: "name" },
    );
  }
  const description = input.description?.trim() || null;
  if (description !== null && description.length > 255) {
    throw new CusthubError("INVALID_REQUEST", "A segment description is at most 255 characters.", {
      field: "description",
    });
  }
  return { name, description };
}

/** The key a segment name is unique under: case and spacing do not make another segment. */
export const segmentNameKey = (name: string): string =>
  name.trim().replace(/\s+/g, " ").toUpperCase();

export function addToSegment(state: CustomerState, segment: Segment): Applied | null {
  if (state.segments.some((held) => held.segmentId === segment.segmentId)) return null;
  const next = structuredClone(state);
  const entry: CustomerSegment = { segmentId: segment.segmentId, segmentName: segment.name };
  next.segments.push(entry);
  return applied(next, "segments");
}

export function removeFromSegment(state: CustomerState, segment: Segment): Applied {
  if (!state.segments.some((held) => held.segmentId === segment.segmentId)) {
    throw new CusthubError(
      "CUSTOMER_NOT_IN_SEGMENT",
      `Customer ${state.customerID} is not in segment ${segment.segmentId} (${segment.name}).`,
      { customerID: state.customerID, segmentId: segment.segmentId },
    );
  }
  const next = structuredClone(state);
  next.segments = next.segments.filter((held) => held.segmentId !== segment.segmentId);
  return applied(next, "segments");
}

// Franchisees ------------------------------------------------------------------------------------

export const MAX_FRANCHISEE_ID = 2_147_483_647;

/**
 * Checks a franchisee entry. The id is a whole number, as the document's example has it; the
 * name is kept as given (the example's own names carry a trailing space), but not blank.
 */
export function checkFranchisee(input: {
  franchiseeId: number;
  franchiseeName: string;
}): Franchisee {
  if (
    !Number.isInteger(input.franchiseeId) ||
    input.franchiseeId < 1 ||
    input.franchiseeId > MAX_FRANCHISEE_ID
  ) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `A franchisee id is a whole number from 1 to ${MAX_FRANCHISEE_ID}.`,
      { field: "franchiseeId" },
    );
  }
  if (input.franchiseeName.trim() === "" || input.franchiseeName.length > 100) {
    throw new CusthubError("INVALID_REQUEST", "A franchisee name is 1-100 characters, not blank.", {
      field: "franchiseeName",
    });
  }
  return { franchiseeId: input.franchiseeId, franchiseeName: input.franchiseeName };
}

/** Adds the franchisee, or renames the entry with its id; in the order they were added. */
export function setFranchisee(state: CustomerState, franchisee: Franchisee): Applied | null {
  const at = state.franchisees.findIndex((held) => held.franchiseeId === franchisee.franchiseeId);
  if (at >= 0 && state.franchisees[at]!.franchiseeName === franchisee.franchiseeName) return null;
  const next = structuredClone(state);
  if (at >= 0) next.franchisees[at] = { ...franchisee };
  else next.franchisees.push({ ...franchisee });
  return applied(next, "franchisees");
}

export function deleteFranchisee(state: CustomerState, franchiseeId: number): Applied {
  if (!state.franchisees.some((held) => held.franchiseeId === franchiseeId)) {
    throw new CusthubError(
      "FRANCHISEE_NOT_FOUND",
      `Customer ${state.customerID} has no franchisee ${franchiseeId}.`,
      { customerID: state.customerID, franchiseeId },
    );
  }
  const next = structuredClone(state);
  next.franchisees = next.franchisees.filter((held) => held.franchiseeId !== franchiseeId);
  return applied(next, "franchisees");
}

// Associate assignments --------------------------------------------------------------------------

export interface AssociateAssignmentInput {
  role: string;
  associateID: string;
  retailStoreID?: string | null | undefined;
}

export const MAX_ASSOCIATE_ASSIGNMENTS = 50;

/**
 * Checks the customer's whole list of assignments: one associate per role (the role upper-cased),
 * ids trimmed and not blank.
 */
export function checkAssociateAssignments(
  inputs: readonly AssociateAssignmentInput[],
): AssociateAssignment[] {
  if (inputs.length > MAX_ASSOCIATE_ASSIGNMENTS) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `At most ${MAX_ASSOCIATE_ASSIGNMENTS} associate assignments.`,
      { field: "associateAssignment" },
    );
  }
  const seen = new Set<string>();
  return inputs.map((input, index) => {
    const field = (name: string) => `associateAssignment[${index}].${name}`;
    const role = input.role.trim().toUpperCase();
    const associateID = input.associateID.trim();
    const retailStoreID = input.retailStoreID?.trim() || null;
    if (role === "" || role.length > 30) {
      throw new CusthubError("INVALID_REQUEST", "A role is 1-30 characters.", {
        field: field("role"),
      });
    }
    if (associateID === "" || associateID.length > 64) {
      throw new CusthubError("INVALID_REQUEST", "An associate id is 1-64 characters.", {
        field: field("associateID"),
      });
    }
    if (retailStoreID !== null && retailStoreID.length > 64) {
      throw new CusthubError("INVALID_REQUEST", "A retail store id is at most 64 characters.", {
        field: field("retailStoreID"),
      });
    }
    if (seen.has(role)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `Role ${role} is assigned twice: one associate per role.`,
        { field: field("role"), role },
      );
    }
    seen.add(role);
    return { role, associateID, retailStoreID };
  });
}

/** Replaces the customer's assignments with these (an empty list removes them all). */
export function setAssociateAssignments(
  state: CustomerState,
  assignments: readonly AssociateAssignment[],
): Applied | null {
  if (JSON.stringify(state.associateAssignments) === JSON.stringify(assignments)) return null;
  const next = structuredClone(state);
  next.associateAssignments = assignments.map((assignment) => ({ ...assignment }));
  return applied(next, "associateAssignments");
}
