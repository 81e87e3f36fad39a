/**
 * A customer's franchisees (seeds/001 Table H-1 `addOrDeleteCustomerFranchisees`: queues the
 * customer's UPDATE). Each operation is one transaction.
 */
import {
  checkFranchisee,
  deleteFranchisee,
  setFranchisee,
} from "../domain/customer-assignments.js";
import type { Franchisee } from "../domain/customer.js";
import type { Database } from "../store/database.js";
import type { ChangeContext } from "./customer-changes.js";
import { editCustomer, type CustomerEditOutcome } from "./customer-edits.js";

export class FranchiseeService {
  constructor(private readonly db: Database) {}

  /** Adds the franchisee, or renames the customer's entry with its id. */
  async set(
    customerID: string,
    input: Franchisee,
    context: ChangeContext,
  ): Promise<CustomerEditOutcome> {
    const franchisee = checkFranchisee(input);
    return this.db.transaction((tx) =>
      editCustomer(tx, customerID, "addOrDeleteCustomerFranchisees", context, (state) =>
        setFranchisee(state, franchisee),
      ),
    );
  }

  /** Deletes the entry; 404 `FRANCHISEE_NOT_FOUND` when the customer has none with the id. */
  delete(
    customerID: string,
    franchiseeId: number,
    context: ChangeContext,
  ): Promise<CustomerEditOutcome> {
    return this.db.transaction((tx) =>
      editCustomer(tx, customerID, "addOrDeleteCustomerFranchisees", context, (state) =>
        deleteFranchisee(state, franchiseeId),
      ),
    );
  }
}
