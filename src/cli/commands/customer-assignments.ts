/**
 * `custhub customers segment|franchisee|associates ...`: what a customer is assigned to (seeds/001
 * Table H-1 `addCustomerToSegment`, `removeCustomerFromSegment`, `addOrDeleteCustomerFranchisees`,
 * `updateAssociateAssignment`). Registered under the `customers` command.
 */
import { InvalidArgumentError, type Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import type { AssociateAssignmentInput } from "../../services/associate-assignments.js";
import type { CustomerEditOutcome } from "../../services/customer-edits.js";
import { withHub } from "../context.js";
import { customerIdArgument } from "../customer-id.js";
import { printResult } from "../output.js";

const cli = { actor: "cli", channel: "cli" } as const;

/** The top-level command with this name, made if no module made it yet. */
function topCommand(program: Command, name: string): Command {
  return program.commands.find((command) => command.name() === name) ?? program.command(name);
}

const describe = (outcome: CustomerEditOutcome, done: string, same: string): string =>
  `customer ${outcome.customerID}: ${outcome.change ? done : same}`;

function franchiseeId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new InvalidArgumentError("needs a whole number from 1.");
  }
  return id;
}

/** `ROLE=ASSOCIATE` or `ROLE=ASSOCIATE@STORE`. */
function parseAssignment(value: string): AssociateAssignmentInput {
  const match = /^([^=]+)=([^@]+)(?:@(.+))?$/.exec(value);
  if (!match) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `${JSON.stringify(value)} is not ROLE=ASSOCIATE or ROLE=ASSOCIATE@STORE.`,
      { field: "assignment" },
    );
  }
  return { role: match[1]!, associateID: match[2]!, retailStoreID: match[3] ?? null };
}

export function registerCustomerAssignments(program: Command): void {
  const customers = topCommand(program, "customers");

  const segment = customers
    .command("segment")
    .description("add a customer to a segment, or remove it (SEGMENT: its id or name)");
  segment
    .command("add")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .argument("<segment>", "the segment's id or name")
    .option("--json", "print one JSON document: {customerID, change, record}")
    .description("addCustomerToSegment; queues the customer's UPDATE")
    .action(
      async (customerID: string, ref: string, options: { json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.segments.addCustomer(customerID, ref, cli);
          printResult(options, outcome, () =>
            describe(outcome, `added to segment ${ref}`, `already in segment ${ref}`),
          );
        });
      },
    );
  segment
    .command("remove")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .argument("<segment>", "the segment's id or name")
    .option("--json", "print one JSON document: {customerID, change, record}")
    .description("removeCustomerFromSegment; queues the customer's UPDATE")
    .action(
      async (customerID: string, ref: string, options: { json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.segments.removeCustomer(customerID, ref, cli);
          printResult(options, outcome, () =>
            describe(outcome, `removed from segment ${ref}`, `not changed`),
          );
        });
      },
    );

  const franchisee = customers
    .command("franchisee")
    .description("the customer's franchisees (addOrDeleteCustomerFranchisees)");
  franchisee
    .command("set")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .argument("<franchiseeId>", "the franchisee's id, a whole number", franchiseeId)
    .argument("<franchiseeName>", "the franchisee's name")
    .option("--json", "print one JSON document: {customerID, change, record}")
    .description("add the franchisee, or rename the customer's entry with its id")
    .action(
      async (
        customerID: string,
        id: number,
        name: string,
        options: { json?: boolean },
        command: Command,
      ) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.franchisees.set(
            customerID,
            { franchiseeId: id, franchiseeName: name },
            cli,
          );
          printResult(options, outcome, () =>
            describe(outcome, `franchisee ${id} set`, `franchisee ${id} already so`),
          );
        });
      },
    );
  franchisee
    .command("remove")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .argument("<franchiseeId>", "the franchisee's id", franchiseeId)
    .option("--json", "print one JSON document: {customerID, change, record}")
    .description("delete the customer's franchisee entry")
    .action(
      async (customerID: string, id: number, options: { json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.franchisees.delete(customerID, id, cli);
          printResult(options, outcome, () => describe(outcome, `franchisee ${id} removed`, ""));
        });
      },
    );

  customers
    .command("associates")
    .description("the customer's associate assignments (updateAssociateAssignment)")
    .command("set")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .argument(
      "[assignment...]",
      "ROLE=ASSOCIATE or ROLE=ASSOCIATE@STORE, one per role; none removes them all",
    )
    .option("--json", "print one JSON document: {customerID, change, record}")
    .description("replace the customer's associate assignments")
    .action(
      async (
        customerID: string,
        given: string[],
        options: { json?: boolean },
        command: Command,
      ) => {
        await withHub(command, options, async (hub) => {
          const assignments = given.map(parseAssignment);
          const outcome = await hub.associateAssignments.set(customerID, assignments, cli);
          printResult(options, outcome, () =>
            describe(
              outcome,
              `${assignments.length} associate assignment(s) set`,
              "assignments already so",
            ),
          );
        });
      },
    );
}
