/**
 * Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig"): add one with its API
 * key (sealed first: a configuration never exists without its credentials), list them, enable or
 * disable one, replace its key. `DestinationService` offers each of these as a method.
 */
import type { Database } from "../store/database.js";
import { CusthubError } from "../domain/errors.js";
import { holdsUserInfo, USER_INFO_REFUSED } from "../domain/settings.js";
import { assertAllowed, CREDENTIALS_PERMISSION, type Actor } from "../domain/roles.js";
import {
  insertRewardConfig,
  listRewardConfigs,
  findRewardConfig,
  setRewardConfigEnabled,
  type RewardConfigRow,
} from "../store/destinations.js";
import {
  REWARD_CONFIG_CREDENTIAL_FIELDS,
  rewardConfigCredentialLocation,
} from "./destinations/datanuum/reward-configs.js";
import type { CredentialDescription, CredentialStore } from "./secrets/credential-store.js";

export interface RewardConfig extends RewardConfigRow {
  credentials: CredentialDescription;
}

export class RewardConfigService {
  readonly #db: Database;
  readonly #credentials: CredentialStore;

  constructor(db: Database, credentials: CredentialStore) {
    this.#db = db;
    this.#credentials = credentials;
  }

  async addRewardConfig(
    actor: Actor,
    config: { code: string; apiUrl: string; apiKey: string; enabled?: boolean },
  ): Promise<RewardConfig> {
    assertAllowed("configureDestinations", actor);
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const code = config.code.trim();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(code) || /^\d+$/.test(code)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        "A reward-points configuration code is 1-64 letters, digits, `_`, `.` or `-`, not only digits (those name an id).",
        { field: "code" },
      );
    }
    const apiUrl = checkApiUrl(config.apiUrl);
    if (config.apiKey === "") {
      throw new CusthubError("INVALID_REQUEST", "The API key is needed.", { field: "apiKey" });
    }
    // The key is sealed first: a configuration never exists without its credentials.
    if (await findRewardConfig(this.#db, code)) throw alreadyExists(code);
    const credentials = await this.#saveRewardKey(code, config.apiKey);
    const row = await insertRewardConfig(this.#db, {
      code,
      apiUrl,
      enabled: config.enabled ?? true,
    });
    if (!row) throw alreadyExists(code);
    return { ...row, credentials };
  }

  async listRewardConfigs(actor: Actor): Promise<RewardConfig[]> {
    assertAllowed("viewSyncStatus", actor);
    const rows = await listRewardConfigs(this.#db);
    const configs: RewardConfig[] = [];
    for (const row of rows) {
      configs.push({
        ...row,
        credentials: await this.#credentials.describe(rewardConfigCredentialLocation(row.code)),
      });
    }
    return configs;
  }

  async setRewardConfigEnabled(
    actor: Actor,
    codeOrId: string,
    enabled: boolean,
  ): Promise<RewardConfig> {
    assertAllowed("configureDestinations", actor);
    const found = await this.#rewardConfig(codeOrId);
    const row = await setRewardConfigEnabled(this.#db, found.id, enabled);
    if (!row) throw rewardConfigNotFound(codeOrId);
    return {
      ...row,
      credentials: await this.#credentials.describe(rewardConfigCredentialLocation(row.code)),
    };
  }

  async saveRewardConfigKey(
    actor: Actor,
    codeOrId: string,
    apiKey: string,
  ): Promise<CredentialDescription> {
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const found = await this.#rewardConfig(codeOrId);
    if (apiKey === "") {
      throw new CusthubError("INVALID_REQUEST", "The API key is needed.", { field: "apiKey" });
    }
    return this.#saveRewardKey(found.code, apiKey);
  }

  async #rewardConfig(codeOrId: string): Promise<RewardConfigRow> {
    const found = await findRewardConfig(this.#db, codeOrId);
    if (!found) throw rewardConfigNotFound(codeOrId);
    return found;
  }

  #saveRewardKey(code: string, apiKey: string): Promise<CredentialDescription> {
    return this.#credentials.saveFields(
      rewardConfigCredentialLocation(code),
      { apiKey },
      REWARD_CONFIG_CREDENTIAL_FIELDS,
    );
  }
}

function checkApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not repeated: what does not parse may still hold a password (`https://svc:pass@host:99999/`).
    throw new CusthubError("INVALID_REQUEST", "The API URL is not an absolute URL.", {
      field: "apiUrl",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new CusthubError("INVALID_REQUEST", "The API URL must be http or https.", {
      field: "apiUrl",
    });
  }
  if (holdsUserInfo(url)) {
    throw new CusthubError("INVALID_REQUEST", `The API URL ${USER_INFO_REFUSED}.`, {
      field: "apiUrl",
    });
  }
  // Requests go to {apiUrl}/customers/{code}: after a query or a fragment that path would be
  // part of them, and the customer would be sent to the base URL itself.
  if (url.search !== "" || url.hash !== "") {
    throw new CusthubError(
      "INVALID_REQUEST",
      `The API URL ${JSON.stringify(text)} is Datanuum's base URL: it takes no query or fragment (requests go to {apiUrl}/customers/{customerCode}).`,
      { field: "apiUrl" },
    );
  }
  return url.href;
}

function alreadyExists(code: string): CusthubError {
  return new CusthubError(
    "ALREADY_EXISTS",
    `A reward-points configuration with code ${code} already exists.`,
    { field: "code", code },
  );
}

function rewardConfigNotFound(codeOrId: string): CusthubError {
  return new CusthubError(
    "REWARD_CONFIG_NOT_FOUND",
    `No Datanuum reward-points configuration has code or id ${JSON.stringify(codeOrId)}.`,
    { rewardPointsConfig: codeOrId },
  );
}
