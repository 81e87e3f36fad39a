/**
 * SocialHub (seeds/004 "Customer Management Actions": Update Customer Information) as a
 * destination: each customer change updates the customer with its Customer Code, using the API
 * key. SocialHub's customer API offers no delete (the document lists update only), so a DELETE is
 * skipped. Wire: docs/connectors.md.
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
import { refusedDelivery } from "../refusal.js";
import { SocialhubClient } from "./client.js";
import { socialhubMessageOf } from "./mapping.js";
import {
  parseSocialhubSettings,
  SOCIALHUB_CREDENTIAL_FIELDS,
  SOCIALHUB_SETTINGS,
  type SocialhubSettings,
} from "./settings.js";

const NO_DELETE =
  "SocialHub's customer API offers no delete (seeds/004 lists Update Customer Information only)";

export class SocialhubDestination implements Destination {
  readonly name = "socialhub";
  readonly #http: HttpClient;
  readonly #client: SocialhubClient;

  constructor(
    private readonly settings: SocialhubSettings,
    context: Omit<DestinationContext<SocialhubSettings>, "settings">,
  ) {
    const apiKey = context.credentials.apiKey;
    if (!apiKey || apiKey.reveal() === "") {
      throw new CusthubError(
        "CREDENTIALS_NOT_FOUND",
        "SocialHub needs its API key: set it with `custhub destinations credentials socialhub`.",
        { destination: "socialhub" },
      );
    }
    this.#http = new HttpClient({
      connections: context.concurrency,
      connectTimeoutMs: context.timeoutMs,
      responseTimeoutMs: context.timeoutMs,
    });
    this.#client = new SocialhubClient(
      settings.baseUrl,
      apiKey,
      this.#http,
      settings.customerCodeKeyType,
    );
  }

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    if (row.objName !== "Customer") {
      return { kind: "skipped", reason: `SocialHub takes customer updates, not ${row.objName}` };
    }
    if (row.action === "DELETE") return { kind: "skipped", reason: NO_DELETE };
    const record = customerRecordOf(row);
    if (typeof record === "string") return { kind: "rejected", error: record };
    const message = socialhubMessageOf(record, this.settings.customerCodeKeyType);
    if (message === null) {
      return {
        kind: "rejected",
        error: `Customer ${record.customerID} has no ${this.settings.customerCodeKeyType} alternate key: SocialHub's Customer Code is required`,
      };
    }
    const outcome = await this.#client.updateCustomer(message);
    if (!outcome.ok) {
      return refusedDelivery(outcome.status, outcome.error, outcome.retryAfterMs ?? null);
    }
    return { kind: "delivered", status: outcome.status };
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}

export const socialhubDestination: DestinationDefinition<SocialhubSettings> = {
  name: "socialhub",
  description:
    "SocialHub CRM (seeds/004): updates the customer's information by Customer Code with the API key.",
  settings: SOCIALHUB_SETTINGS,
  credentialFields: SOCIALHUB_CREDENTIAL_FIELDS,
  parseSettings: parseSocialhubSettings,
  noDelete: NO_DELETE,
  open: (context) => new SocialhubDestination(context.settings, context),
};
