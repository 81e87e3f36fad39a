/** The ids a command line names: a customerID, an import's id. */
import { InvalidArgumentError } from "commander";

const WHOLE_ID = /^\d{1,18}$/;

/**
 * Checks an id argument as the REST API checks one (1-18 digits, a 400 otherwise): a value of
 * another form is bad usage (exit 2), not a record that was not found (exit 1).
 */
const idArgument =
  (what: string) =>
  (value: string): string => {
    if (!WHOLE_ID.test(value))
      throw new InvalidArgumentError(`${what} is a whole number of 1-18 digits.`);
    return value;
  };

export const customerIdArgument = idArgument("A customerID");
export const importIdArgument = idArgument("An import id");
