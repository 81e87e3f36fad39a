/**
 * Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig"): records with a code, a
 * numeric id, the API base URL, credentials and an enabled flag. The destination's
 * `rewardPointsConfig` setting names one by code or id; an unknown or disabled one stops the run
 * at once (seeds/000: "Invalid configuration causes immediate processing failure").
 */
import { CusthubError } from "../../../domain/errors.js";
import type { Queryable } from "../../../store/database.js";
import { findRewardConfig, type RewardConfigRow } from "../../../store/destinations.js";
import type { CredentialLocation } from "../../secrets/credential-store.js";

/** The sealed credentials of configuration `code`. */
export function rewardConfigCredentialLocation(code: string): CredentialLocation {
  return { mapName: "datanuum_reward_points_config", keyName: code };
}

/** The one credential field of a configuration: Datanuum's API key (docs/connectors.md). */
export const REWARD_CONFIG_CREDENTIAL_FIELDS = [
  { name: "apiKey", description: "the Datanuum API key of this configuration", secret: true },
] as const;

/** The configuration the setting names, enabled; else a clear error. */
export async function resolveRewardConfig(
  db: Queryable,
  codeOrId: string,
): Promise<RewardConfigRow> {
  const config = await findRewardConfig(db, codeOrId);
  if (!config) {
    throw new CusthubError(
      "REWARD_CONFIG_NOT_FOUND",
      `No Datanuum reward-points configuration has code or id ${JSON.stringify(codeOrId)}: ` +
        "add it with `custhub datanuum configs add`, or fix the datanuum setting rewardPointsConfig.",
      { rewardPointsConfig: codeOrId },
    );
  }
  if (!config.enabled) {
    throw new CusthubError(
      "REWARD_CONFIG_DISABLED",
      `The Datanuum reward-points configuration ${config.code} (id ${config.id}) is disabled: ` +
        "enable it with `custhub datanuum configs enable`.",
      { rewardPointsConfig: codeOrId, code: config.code, id: config.id },
    );
  }
  return config;
}
