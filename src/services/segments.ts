/**
 * Segments: the segment definitions, and customers added to and removed from them (seeds/001
 * Table H-1 `addCustomerToSegment`, `removeCustomerFromSegment`: each queues the customer's
 * UPDATE). Each operation is one transaction.
 */
import {
  addToSegment,
  checkNewSegment,
  removeFromSegment,
  segmentNameKey,
  type NewSegment,
  type Segment,
} from "../domain/customer-assignments.js";
import { CusthubError } from "../domain/errors.js";
import type { Database, Queryable } from "../store/database.js";
import { findSegment, insertSegment, listSegments, type StoredSegment } from "../store/segments.js";
import type { ChangeContext } from "./customer-changes.js";
import { editCustomer, type CustomerEditOutcome } from "./customer-edits.js";

export type { NewSegment, Segment, StoredSegment };

export class SegmentService {
  constructor(private readonly db: Database) {}

  async create(input: NewSegment): Promise<StoredSegment> {
    const segment = checkNewSegment(input);
    const stored = await insertSegment(this.db, {
      ...segment,
      nameKey: segmentNameKey(segment.name),
    });
    if (!stored) {
      throw new CusthubError(
        "ALREADY_EXISTS",
        `Segment ${JSON.stringify(segment.name)} already exists.`,
        {
          name: segment.name,
        },
      );
    }
    return stored;
  }

  list(): Promise<(StoredSegment & { customerCount: number })[]> {
    return listSegments(this.db);
  }

  /** The segment named by its id (digits) or its name (any case). */
  get(ref: string): Promise<StoredSegment> {
    return resolveSegment(this.db, ref);
  }

  /** Adds the customer to the segment; already in it: no change, nothing queued. */
  addCustomer(
    customerID: string,
    ref: string,
    context: ChangeContext,
  ): Promise<CustomerEditOutcome> {
    return this.db.transaction(async (tx) => {
      const segment = await resolveSegment(tx, ref);
      return editCustomer(tx, customerID, "addCustomerToSegment", context, (state) =>
        addToSegment(state, segment),
      );
    });
  }

  /** Removes the customer from the segment; 404 `CUSTOMER_NOT_IN_SEGMENT` when it is not in it. */
  removeCustomer(
    customerID: string,
    ref: string,
    context: ChangeContext,
  ): Promise<CustomerEditOutcome> {
    return this.db.transaction(async (tx) => {
      const segment = await resolveSegment(tx, ref);
      return editCustomer(tx, customerID, "removeCustomerFromSegment", context, (state) =>
        removeFromSegment(state, segment),
      );
    });
  }
}

async function resolveSegment(db: Queryable, ref: string): Promise<StoredSegment> {
  const wanted = ref.trim();
  const segment = /^\d+$/.test(wanted)
    ? await findSegment(db, { segmentId: wanted })
    : await findSegment(db, { nameKey: segmentNameKey(wanted) });
  if (!segment) {
    throw new CusthubError("SEGMENT_NOT_FOUND", `No segment ${JSON.stringify(wanted)}.`, {
      segment: wanted,
    });
  }
  return segment;
}
