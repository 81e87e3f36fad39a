/** The data-sync endpoint as a `Destination`: its settings, mapping and client put together. */
import { isCusthubError } from "../../../domain/errors.js";
import type { DataSyncMessage } from "../../../domain/sync-messages.js";
import type { ClaimedRow } from "../../../store/sync-deliveries.js";
import type { DestinationDefinition, Destination, DeliveryResult } from "../../destination.js";
import { retryAfterMs } from "../../backoff.js";
import { HttpClient, type HttpAnswer } from "../../http/http-client.js";
import { ClientCredentialsTokenSource } from "../../oauth2.js";
import type { ClientCredentials } from "../../secrets/credential-store.js";
import { DataSyncClient } from "./client.js";
import { dataSyncMessageOf } from "./mapping.js";
import { DATASYNC_SETTING_KEYS, parseDataSyncSettings, type DataSyncSettings } from "./settings.js";
import { CusthubError } from "../../../domain/errors.js";
import { SETTINGS } from "../../../domain/settings.js";

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
    this.#client = new DataSyncClient(options.settings.apiUrl, this.#tokens, this.#http, [
      options.credentials.clientSecret,
    ]);
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
        retryAfterMs: retryAfterMs(answer),
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

/**
 * The data-sync endpoint (seeds/001) as a destination kind: its settings are the documented hub
 * settings (`DataSyncApiUrl`, ...), its enabled flag `DataSyncEnabled`, its credentials the client
 * ID and secret under `DataSyncCredentialMapName`/`DataSyncCredentialKeyName`.
 */
export const datasyncDestination: DestinationDefinition<DataSyncSettings> = {
  name: "datasync",
  description: "the data-sync endpoint of seeds/001: Table H-5 messages, OAuth2 client credentials",
  // Marked where the hub settings are described (`sendsCredentials`), so marked here too.
  settings: DATASYNC_SETTING_KEYS.map((key) => ({
    key,
    description: SETTINGS[key].description,
    defaultValue: SETTINGS[key].default === null ? null : String(SETTINGS[key].default),
    ...("sendsCredentials" in SETTINGS[key] ? { sendsCredentials: true as const } : {}),
  })),
  credentialFields: [
    { name: "clientId", description: "the OAuth2 client ID", secret: false },
    { name: "clientSecret", description: "the OAuth2 client secret", secret: true },
  ],
  parseSettings: (values) => parseDataSyncSettings(values),
  storage: {
    kind: "hub",
    enabledSetting: "DataSyncEnabled",
    credentialLocation(values) {
      const keyName = values.DataSyncCredentialKeyName;
      if (!keyName) {
        throw new CusthubError(
          "SYNC_NOT_CONFIGURED",
          "Data sync needs DataSyncCredentialKeyName: set it with `custhub config set`.",
          { settings: ["DataSyncCredentialKeyName"] },
        );
      }
      return { mapName: values.DataSyncCredentialMapName ?? "ce_credentials", keyName };
    },
  },
  open(context) {
    const { clientId, clientSecret } = context.credentials;
    if (!clientId || !clientSecret) {
      throw new CusthubError(
        "CREDENTIALS_NOT_FOUND",
        "The data-sync credentials lack the client ID or secret: save them again.",
        {},
      );
    }
    return new DataSyncDestination({
      settings: context.settings,
      credentials: { clientId, clientSecret },
      concurrency: context.concurrency,
      timeoutMs: context.timeoutMs,
    });
  },
};
