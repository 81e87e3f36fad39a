/**
 * A customer's associate assignments (seeds/001 Table H-1 `updateAssociateAssignment`: queues the
 * customer's UPDATE): one associate per role. One transaction.
 */
import {
  checkAssociateAssignments,
  setAssociateAssignments,
  type AssociateAssignmentInput,
} from "../domain/customer-assignments.js";
import type { Database } from "../store/database.js";
import type { ChangeContext } from "./customer-changes.js";
import { editCustomer, type CustomerEditOutcome } from "./customer-edits.js";

export type { AssociateAssignmentInput };

export class AssociateAssignmentService {
  constructor(private readonly db: Database) {}

  /** Replaces the customer's assignments with these; an empty list removes them all. */
  async set(
    customerID: string,
    assignments: readonly AssociateAssignmentInput[],
    context: ChangeContext,
  ): Promise<CustomerEditOutcome> {
    const checked = checkAssociateAssignments(assignments);
    return this.db.transaction((tx) =>
      editCustomer(tx, customerID, "updateAssociateAssignment", context, (state) =>
        setAssociateAssignments(state, checked),
      ),
    );
  }
}
