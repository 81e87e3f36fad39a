/** The data-sync endpoint as a `Destination`: its settings, mapping and client put together. */
import { isCusthubError } from "../../../domain/errors.js";
import type { DataSyncMessage } from "../../../domain/sync-messages.js";
import type { ClaimedRow } from "../../../store/sync-queue.js";
import type { Destination, DeliveryResult } from "../../destination.js";
import { HttpClient, type HttpAnswer } from "../../http/http-client.js";
import { ClientCredentialsTokenSource } from "../../oauth2.js";
import type { ClientCredentials } from "../../secrets/credential-store.js";
import { DataSyncClient } from "./client.js";
import { dataSyncMessageOf } from "./mapping.js";
import type { DataSyncSettings } from "./settings.js";

export interface DataSyncDestinationOptions {
  settings: DataSyncSettings;
  credentials: ClientCredentials;
  /** Requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
}

/** How much of a refusing receiver's answer is kept with the message (it may be large). */
const ERROR_BODY_CHARS = 300;

export class DataSyncDestination implements Destination {
  readonly name = "datasync";
  readonly #http: HttpClient;
  readonly #tokens: ClientCredentialsTokenSource;
  readonly #client: DataSyncClient;

  constructor(options: DataSyncDestinationOptions) {
    this.#http = new HttpClient({
      connections: options.concurrency,
      connectTimeoutMs: options.timeoutMs,
      responseTimeoutMs: options.timeoutMs,
    });
    this.#tokens = new ClientCredentialsTokenSource({
      tokenUrl: options.settings.tokenUrl,
      credentials: options.credentials,
      http: this.#http,
    });
    this.#client = new DataSyncClient(options.settings.apiUrl, this.#tokens, this.#http);
  }

  /** Sends one message as it is (Send Sample Message) and returns the receiver's answer. */
  send(message: DataSyncMessage): Promise<HttpAnswer> {
    return this.#client.send(message);
  }

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    let message: DataSyncMessage;
    try {
      message = dataSyncMessageOf(row);
    } catch (error) {
      if (isCusthubError(error)) return { kind: "rejected", error: error.message };
      throw error;
    }
    try {
      const answer = await this.#client.send(message);
      if (answer.status === 200) return { kind: "delivered", status: 200 };
      const excerpt = answer.body.trim().slice(0, ERROR_BODY_CHARS);
      return {
        kind: "failed",
        status: answer.status,
        error: `HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ""}`,
      };
    } catch (error) {
      if (isCusthubError(error) && error.code === "DELIVERY_FAILED") {
        return { kind: "failed", status: null, error: error.message };
      }
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}
