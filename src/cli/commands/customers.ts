import { InvalidArgumentError, type Command } from "commander";
import { toCustomerResponse, type CustomerResponse } from "../../domain/customer-response.js";
import { CusthubError } from "../../domain/errors.js";
import { withHub } from "../context.js";
import type { CustomerErasure } from "../../services/data-subject.js";
import { customerIdArgument } from "../customer-id.js";
import { io } from "../io.js";
import { printResult, table } from "../output.js";

interface GetOptions {
  alt?: string;
  json?: boolean;
}

interface FindOptions {
  email?: string;
  phone?: string;
  name?: string;
  postalCode?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

function pageSize(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 500)
    throw new InvalidArgumentError("needs a whole number 1-500.");
  return number;
}

/** `TYPE:ID`; the id may itself hold colons (`EMAIL:a:b` is type EMAIL, id `a:b`). */
function parseAlternateKey(raw: string): { typeCode: string; alternateID: string } {
  const at = raw.indexOf(":");
  if (at <= 0 || at === raw.length - 1) {
    throw new CusthubError(
      "INVALID_REQUEST",
      "--alt needs TYPE:ID, for example --alt EMAIL:ann@example.com.",
      {},
    );
  }
  return { typeCode: raw.slice(0, at), alternateID: raw.slice(at + 1) };
}

function summaryRow(record: CustomerResponse): string[] {
  const individual = record.entityInformation.individual;
  const name = individual.name.name
    .map((part) => part.value)
    .filter((value) => value !== null)
    .join(" ");
  const primaryOrFirst = <T extends { primaryFlag: string; activeFlag: string }>(
    entries: T[],
  ): T | undefined =>
    entries.find((entry) => entry.activeFlag === "true" && entry.primaryFlag === "true") ??
    entries.find((entry) => entry.activeFlag === "true");
  const contact = individual.contactInformation;
  return [
    record.customerID,
    name,
    primaryOrFirst(contact.email)?.emailAddress ?? "",
    primaryOrFirst(contact.telephone)?.phoneNumber ?? "",
    primaryOrFirst(contact.address)?.postalCode ?? "",
    record.validation.validFlag === "true" ? "yes" : "no",
  ];
}

export function registerCustomers(program: Command): void {
  const customers = program.command("customers").description("read customers");
  customers
    .command("get")
    .argument("[customerID]", "the customer's customerID", customerIdArgument)
    .option("--alt <TYPE:ID>", "find the customer by an alternate key instead")
    .option("--json", "print one JSON document")
    .description("print one customer's record (the CustomerResponseType JSON)")
    .action(async (customerID: string | undefined, options: GetOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        if ((customerID === undefined) === (options.alt === undefined)) {
          throw new CusthubError(
            "INVALID_REQUEST",
            "Give either a customerID or --alt TYPE:ID.",
            {},
          );
        }
        let record: CustomerResponse;
        if (options.alt !== undefined) {
          const key = parseAlternateKey(options.alt);
          record = await hub.customers.getByAlternateKey(key.typeCode, key.alternateID);
        } else {
          // The record shape has no word for it: a deleted or merged-away customer reads as it
          // was left, so the human output says so (a key finds active customers only).
          const state = await hub.customers.getState(customerID!);
          record = toCustomerResponse(state);
          if (!state.active && !options.json) {
            io().stderr.write(
              `Customer ${state.customerID} is inactive: ${
                state.mergedInto ? `merged into customer ${state.mergedInto}` : "deleted"
              }.\n`,
            );
          }
        }
        printResult(options, record, () => JSON.stringify(record, null, 2));
      });
    });
  customers
    .command("find")
    .option("--email <email>", "an active email address")
    .option("--phone <phone>", "an active phone number, any punctuation")
    .option("--name <name>", "words of the customer's names, all of them")
    .option("--postal-code <code>", "an active address's postal code")
    .option("--limit <n>", "customers per page (1-500, default 50)", pageSize)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--json", "print one JSON document")
    .description("search customers; every criterion given must match")
    .action(async (options: FindOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        const page = await hub.customers.find(options);
        printResult(options, page, () =>
          [
            table(
              ["CUSTOMER ID", "NAME", "EMAIL", "PHONE", "POSTAL CODE", "VALID"],
              page.items.map(summaryRow),
            ),
            page.nextCursor
              ? `more: --cursor ${page.nextCursor}`
              : `${page.items.length} customer(s)`,
          ].join("\n"),
        );
      });
    });

  customers
    .command("export")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .option("--json", "print one JSON document (the export is JSON either way)")
    .description("everything held on the customer, as JSON (a data-subject access request)")
    .action(async (customerID: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const data = await hub.customers.export(customerID);
        printResult(options, data, () => JSON.stringify(data, null, 2));
      });
    });
  customers
    .command("erase")
    .argument("<customerID>", "the customer's customerID", customerIdArgument)
    .option("--json", "print one JSON document")
    .description(
      "remove the customer's personal data, keep an anonymous shell; queued as CUSTOMERDEL",
    )
    .action(async (customerID: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const erased = await hub.customers.erase(customerID, { actor: "cli", channel: "cli" });
        printResult(options, erased, () => erasureText(erased));
      });
    });
}

/**
 * What an erasure did, and what it left for the operator: the customer its data was merged into,
 * and the import files on disk that custhub does not edit (docs/customer-record.md "Data-subject
 * requests").
 */
function erasureText(erased: CustomerErasure): string {
  const lines = [
    `erased the personal data of customer ${erased.customerID}${erased.queued ? "; CUSTOMERDEL queued" : ""}`,
  ];
  if (erased.mergedCustomers.length > 0)
    lines.push(`also erased the customers merged into it: ${erased.mergedCustomers.join(", ")}`);
  if (erased.mergedInto !== null)
    lines.push(
      `it was merged into customer ${erased.mergedInto}, which holds its data too: erase that one as well`,
    );
  if (erased.importFiles.length > 0) {
    lines.push(
      "these import files may still hold its data (custhub keeps them as received; delete or redact them yourself):",
      ...erased.importFiles.map((file) => `  ${file.path}`),
    );
  }
  return lines.join("\n");
}
