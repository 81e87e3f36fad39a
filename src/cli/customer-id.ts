/** The customerID a command line names. */
import { InvalidArgumentError } from "commander";

const CUSTOMER_ID = /^\d{1,18}$/;

/**
 * Checks a customerID argument as the REST API checks one (1-18 digits, a 400 otherwise): a value
 * of another form is bad usage (exit 2), not a customer that was not found (exit 1).
 */
export function customerIdArgument(value: string): string {
  if (!CUSTOMER_ID.test(value)) {
    throw new InvalidArgumentError("A customerID is a whole number of 1-18 digits.");
  }
  return value;
}
