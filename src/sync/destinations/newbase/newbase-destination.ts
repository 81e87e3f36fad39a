/**
 * NewBase (seeds/002 "NewBase Connector - Customer Update") as a destination: update only. For
 * each customer change it looks the customer up the way the document's Data Source Configuration
 * does (contact by serial, debtor by organisation, visit address by person and delivery address
 * by organisation, reachabilities by person and contact) and then updates the records it found.
 * A customer NewBase does not know is a failure (`NEWBASE_CONTACT_NOT_FOUND`), never a create;
 * a DELETE is skipped. Wire: docs/connectors.md.
 */
import { CusthubError } from "../../../domain/errors.js";
import type { ClaimedRow } from "../../../store/sync-deliveries.js";
import type {
  DeliveryResult,
  Destination,
  DestinationContext,
  DestinationDefinition,
} from "../../destination.js";
import { customerRecordOf } from "../customer-record.js";
import { HttpClient } from "../../http/http-client.js";
import { refusedDelivery, withoutCustomerCode } from "../refusal.js";
import { NewbaseClient, type Hide, type NewbaseOutcome, type Row } from "./client.js";
import {
  ADDRESS_TYPES,
  newbaseCustomerOf,
  planUpdates,
  type NewbaseLookup,
  type ReachabilityOwner,
  type ReachabilityRow,
} from "./mapping.js";
import {
  NEWBASE_CREDENTIAL_FIELDS,
  NEWBASE_SETTINGS,
  parseNewbaseSettings,
  type NewbaseSettings,
} from "./settings.js";

/** In the error of a customer NewBase has no contact for (the code for it). */
export const NEWBASE_CONTACT_NOT_FOUND = "NEWBASE_CONTACT_NOT_FOUND";
/** In the error of a serial that several NewBase contacts share: which to update is a guess. */
export const NEWBASE_CONTACT_AMBIGUOUS = "NEWBASE_CONTACT_AMBIGUOUS";

const NO_DELETE =
  "NewBase is updated only (seeds/002 Known Limitations): a deleted customer stays in NewBase";

export class NewbaseDestination implements Destination {
  readonly name = "newbase";
  readonly #http: HttpClient;
  readonly #client: NewbaseClient;

  constructor(
    private readonly settings: NewbaseSettings,
    context: Omit<DestinationContext<NewbaseSettings>, "settings">,
  ) {
    const username = context.credentials.username;
    const password = context.credentials.password;
    if (!username || !password) {
      throw new CusthubError(
        "CREDENTIALS_NOT_FOUND",
        "NewBase needs its username and password credentials: set them with `custhub destinations credentials newbase`.",
        { destination: "newbase" },
      );
    }
    this.#http = new HttpClient({
      connections: context.concurrency,
      connectTimeoutMs: context.timeoutMs,
      responseTimeoutMs: context.timeoutMs,
    });
    this.#client = new NewbaseClient(settings.baseUrl, { username, password }, this.#http);
  }

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    if (row.objName !== "Customer") {
      return { kind: "skipped", reason: `NewBase takes customer updates, not ${row.objName}` };
    }
    if (row.action === "DELETE") return { kind: "skipped", reason: NO_DELETE };
    const record = customerRecordOf(row);
    if (typeof record === "string") return { kind: "rejected", error: record };
    const customer = newbaseCustomerOf(record, this.settings);
    if (customer === null) {
      return {
        kind: "rejected",
        error: `Customer ${record.customerID} has no ${this.settings.customerCodeKeyType} alternate key: it has no NewBase customer code (serial)`,
      };
    }
    // NewBase may repeat the serial in any refusal, a look-up's or an update's (SPEC 9).
    const hide: Hide = (text) =>
      withoutCustomerCode(text, customer.serial, this.settings.customerCodeKeyType);
    const refused = (failure: Extract<NewbaseOutcome<unknown>, { ok: false }>): DeliveryResult =>
      refusedDelivery(failure.status, failure.error, failure.retryAfterMs ?? null);
    const lookup = await this.#lookUp(customer.serial, record.customerID, hide);
    if (!lookup.ok) return refused(lookup);
    const updates = planUpdates(customer, lookup.value);
    const outcomes = await Promise.all(
      updates.map(async (update) => ({
        update,
        outcome: await this.#client.update(update.table, update.id, update.values, hide),
      })),
    );
    for (const { update, outcome } of outcomes) {
      if (!outcome.ok) return refused(outcome);
      if (outcome.value !== 1) {
        return {
          kind: "failed",
          status: 200,
          error: `NewBase ${update.table} update: ${outcome.value} records updated for id ${update.id}, expected 1`,
        };
      }
    }
    return { kind: "delivered", status: 200 };
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  /**
   * What the serial is, for error texts: an alternate key's value may be personal data (an
   * email), and errors reach logs and run results (SPEC 9), so they name the key's type only.
   */
  #serialName(): string {
    const keyType = this.settings.customerCodeKeyType;
    return keyType === null ? "customerID" : `${keyType} key`;
  }

  /** The ids of the customer's NewBase records (seeds/002 "Data Source Configuration"). */
  async #lookUp(
    serial: string,
    customerID: string,
    hide: Hide,
  ): Promise<NewbaseOutcome<NewbaseLookup>> {
    const contacts = await this.#client.query(
      "contact",
      { serial },
      ["k_contact_id", "k_organisation_id", "k_person_id"],
      hide,
    );
    if (!contacts.ok) return contacts;
    if (contacts.value.length !== 1) {
      const code =
        contacts.value.length === 0 ? NEWBASE_CONTACT_NOT_FOUND : NEWBASE_CONTACT_AMBIGUOUS;
      const found =
        contacts.value.length === 0 ? "no contact" : `${contacts.value.length} contacts`;
      return {
        ok: false,
        status: null,
        error: `${code}: NewBase has ${found} whose serial is customer ${customerID}'s ${this.#serialName()}; custhub updates existing customers only`,
      };
    }
    const contact = contacts.value[0]!;
    const contactId = idOf(contact, "k_contact_id");
    const organisationId = idOf(contact, "k_organisation_id");
    // A contact without a person (k_person_id null): no person, visit address or person
    // reachabilities to update.
    const hasPerson = contact.k_person_id !== null && contact.k_person_id !== undefined;
    const personId = hasPerson ? idOf(contact, "k_person_id") : null;
    if (contactId === null || organisationId === null || (hasPerson && personId === null)) {
      return {
        ok: false,
        status: 200,
        error: "NewBase contact query: malformed ids in the answer",
      };
    }
    const addressFields = ["k_address_id", "type_address"];
    const reachabilityFields = ["k_reachability_id", "reachability", "type_reachability"];
    const none: NewbaseOutcome<Row[]> = { ok: true, value: [] };
    const [
      debtors,
      visitAddresses,
      deliveryAddresses,
      personReachabilities,
      contactReachabilities,
    ] = await Promise.all([
      this.#client.query("debtor", { k_organisation_id: organisationId }, ["k_debtor_id"], hide),
      personId === null
        ? none
        : this.#client.query(
            "address",
            { k_person_id: personId, type_address: ADDRESS_TYPES.visit },
            addressFields,
            hide,
          ),
      this.#client.query(
        "address",
        { k_organisation_id: organisationId, type_address: ADDRESS_TYPES.delivery },
        addressFields,
        hide,
      ),
      personId === null
        ? none
        : this.#client.query("reachability", { k_person_id: personId }, reachabilityFields, hide),
      this.#client.query("reachability", { k_contact_id: contactId }, reachabilityFields, hide),
    ]);
    for (const outcome of [
      debtors,
      visitAddresses,
      deliveryAddresses,
      personReachabilities,
      contactReachabilities,
    ]) {
      if (!outcome.ok) return outcome;
    }
    const rowsOf = (outcome: NewbaseOutcome<Row[]>): Row[] => (outcome.ok ? outcome.value : []);
    const reachabilities = [
      ...reachabilityRows(rowsOf(personReachabilities), "person"),
      ...reachabilityRows(rowsOf(contactReachabilities), "contact"),
    ];
    if (reachabilities.includes(null)) {
      return {
        ok: false,
        status: 200,
        error: "NewBase reachability query: malformed rows in the answer",
      };
    }
    return {
      ok: true,
      value: {
        contactId,
        organisationId,
        personId,
        debtorId: firstId(rowsOf(debtors), "k_debtor_id"),
        visitAddressId: firstId(rowsOf(visitAddresses), "k_address_id"),
        deliveryAddressId: firstId(rowsOf(deliveryAddresses), "k_address_id"),
        reachabilities: reachabilities.filter((row): row is ReachabilityRow => row !== null),
      },
    };
  }
}

/** The integer id in `column`; null when absent or not an integer. */
function idOf(row: Row, column: string): number | null {
  const value = row[column];
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

/** The lowest id of the rows (NewBase's oldest record), or null when there are none. */
function firstId(rows: readonly Row[], column: string): number | null {
  const ids = rows.map((row) => idOf(row, column)).filter((id): id is number => id !== null);
  return ids.length === 0 ? null : Math.min(...ids);
}

/** The rows as reachabilities of `owner`; a malformed row becomes null. */
function reachabilityRows(
  rows: readonly Row[],
  owner: ReachabilityOwner,
): (ReachabilityRow | null)[] {
  return rows.map((row) => {
    const id = idOf(row, "k_reachability_id");
    const type = row.type_reachability;
    const value = row.reachability ?? "";
    if (id === null || typeof type !== "string" || typeof value !== "string") return null;
    return { id, owner, type, value };
  });
}

export const newbaseDestination: DestinationDefinition<NewbaseSettings> = {
  name: "newbase",
  description:
    "NewBase ERP (seeds/002): updates the customer's organisation, debtor, person, addresses and reachabilities; update only.",
  settings: NEWBASE_SETTINGS,
  credentialFields: NEWBASE_CREDENTIAL_FIELDS,
  parseSettings: parseNewbaseSettings,
  noDelete: NO_DELETE,
  open: (context) => new NewbaseDestination(context.settings, context),
};
