/**
 * Datanuum (seeds/000 "EASendCustomerToDatanuum") as a destination: the reward-points
 * configuration checked first (unknown or disabled: the run fails at once), then one PUT per
 * customer change. Datanuum creates or updates; it has no delete and no transactions, so those
 * changes are skipped. Every run keeps its per-customer results (seeds/000: "Accumulates API
 * response results and any errors").
 */
import { CusthubError, isCusthubError } from "../../../domain/errors.js";
import type { ClaimedRow } from "../../../store/sync-deliveries.js";
import type { DeliveryResult, Destination, DestinationDefinition } from "../../destination.js";
import { retryAfterMs } from "../../backoff.js";
import { HttpClient } from "../../http/http-client.js";
import { REDACTED } from "../../secrets/secret.js";
import { refusedDelivery } from "../refusal.js";
import { DatanuumClient } from "./client.js";
import { datanuumCustomerOf, parseQueuedCustomer } from "./mapping.js";
import { rewardConfigCredentialLocation, resolveRewardConfig } from "./reward-configs.js";
import { DATANUUM_SETTINGS, parseDatanuumSettings, type DatanuumSettings } from "./settings.js";

const NO_DELETE = "Datanuum has no delete (seeds/000: create or update)";

/** How much of a refusing answer is kept with the message. */
const ERROR_BODY_CHARS = 300;

class DatanuumDestination implements Destination {
  readonly name = "datanuum";

  constructor(
    private readonly settings: DatanuumSettings,
    private readonly client: DatanuumClient,
    private readonly http: HttpClient,
    /** Replaced by `[redacted]` in any answer kept with a message (docs/connectors.md). */
    private readonly apiKey: string,
  ) {}

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    if (row.objName !== "Customer") {
      return { kind: "skipped", reason: "Datanuum takes customers only" };
    }
    if (row.action === "DELETE") {
      return { kind: "skipped", reason: NO_DELETE };
    }
    let body;
    try {
      body = datanuumCustomerOf(parseQueuedCustomer(row.json), this.settings);
    } catch (error) {
      if (isCusthubError(error)) return { kind: "rejected", error: error.message };
      throw error;
    }
    try {
      const answer = await this.client.send(body);
      if (answer.status === 200 || answer.status === 201) {
        return { kind: "delivered", status: answer.status };
      }
      // The key out before the answer is cut: a cut inside it would keep its first characters.
      const error = `HTTP ${answer.status}${excerpt(answer.body.replaceAll(this.apiKey, REDACTED))}`;
      return refusedDelivery(answer.status, error, retryAfterMs(answer));
    } catch (error) {
      if (isCusthubError(error) && error.code === "DELIVERY_FAILED") {
        return { kind: "failed", status: null, error: error.message };
      }
      throw error;
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

function excerpt(body: string): string {
  const text = body.trim().slice(0, ERROR_BODY_CHARS);
  return text ? `: ${text}` : "";
}

export const datanuumDestination: DestinationDefinition<DatanuumSettings> = {
  name: "datanuum",
  description: "Datanuum loyalty platform (seeds/000): customers for reward points",
  settings: DATANUUM_SETTINGS,
  // The credentials belong to each reward-points configuration (`custhub datanuum configs add`).
  credentialFields: [],
  parseSettings: parseDatanuumSettings,
  keepResults: true,
  noDelete: NO_DELETE,
  async open(context) {
    if (!context.lookup) {
      throw new CusthubError(
        "SYNC_NOT_CONFIGURED",
        "Datanuum needs the database to find its reward-points configuration.",
        {},
      );
    }
    const config = await resolveRewardConfig(
      context.lookup.db,
      context.settings.rewardPointsConfig,
    );
    const credentials = await context.lookup.loadCredentials(
      rewardConfigCredentialLocation(config.code),
    );
    const apiKey = credentials.apiKey;
    if (!apiKey) {
      throw new CusthubError(
        "CREDENTIALS_NOT_FOUND",
        `The reward-points configuration ${config.code} has no API key saved: add it with \`custhub datanuum configs credentials ${config.code}\`.`,
        { code: config.code },
      );
    }
    const http = new HttpClient({
      connections: context.concurrency,
      connectTimeoutMs: context.timeoutMs,
      responseTimeoutMs: context.timeoutMs,
    });
    return new DatanuumDestination(
      context.settings,
      new DatanuumClient(new URL(config.apiUrl), apiKey, http),
      http,
      apiKey.reveal(),
    );
  },
};
