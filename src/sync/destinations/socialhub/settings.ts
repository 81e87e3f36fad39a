/**
 * The SocialHub destination's settings and credential (seeds/004 "Dependencies": "Requires an API
 * key credential for SocialHub API authentication"), checked once. A fault is a `CusthubError`
 * `INVALID_SETTING` naming the key.
 */
import { CusthubError } from "../../../domain/errors.js";
import type { CredentialFieldSpec, DestinationSettingSpec } from "../../destination.js";
import { parseRootUrl } from "../root-url.js";

export interface SocialhubSettings {
  /** The SocialHub open API root; `v1/consumer/updateInfo/{customerCode}` hangs under it. */
  baseUrl: URL;
  /** The alternate key type whose id is SocialHub's Customer Code; null: the customerID. */
  customerCodeKeyType: string | null;
}

export const SOCIALHUB_SETTINGS: readonly DestinationSettingSpec[] = [
  {
    key: "baseUrl",
    description: "The SocialHub open API root URL, e.g. https://s1.socialhub.ai/openapi-prod.",
    defaultValue: null,
    // The API key goes here: changing it is sysadmin's, as saving it is.
    sendsCredentials: true,
  },
  {
    key: "customerCodeKeyType",
    description:
      "The alternate key type whose id is SocialHub's Customer Code; empty: the customerID.",
    defaultValue: null,
  },
];

export const SOCIALHUB_CREDENTIAL_FIELDS: readonly CredentialFieldSpec[] = [
  { name: "apiKey", description: "The SocialHub API key.", secret: true },
];

/**
 * @example
 * parseSocialhubSettings({ baseUrl: "https://s1.socialhub.ai/openapi-prod", customerCodeKeyType: "TWCUSTID" })
 */
export function parseSocialhubSettings(
  values: Readonly<Record<string, string | null>>,
): SocialhubSettings {
  const valueOf = (key: string): string | null => {
    const given = values[key];
    const value =
      given === undefined
        ? SOCIALHUB_SETTINGS.find((spec) => spec.key === key)?.defaultValue
        : given;
    const trimmed = value?.trim() ?? "";
    return trimmed === "" ? null : trimmed;
  };
  return {
    baseUrl: parseBaseUrl(valueOf("baseUrl")),
    customerCodeKeyType: valueOf("customerCodeKeyType"),
  };
}

function parseBaseUrl(value: string | null): URL {
  if (value === null) throw invalid("baseUrl is not set: the SocialHub open API root URL.");
  return parseRootUrl(value, invalid);
}

function invalid(message: string): CusthubError {
  return new CusthubError("INVALID_SETTING", `SocialHub: ${message}`, {
    destination: "socialhub",
    setting: "baseUrl",
  });
}
