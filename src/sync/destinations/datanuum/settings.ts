/**
 * Datanuum's settings (seeds/000 "Parameters"): the reward-points configuration by code or id,
 * where the POS register code is read from, and which telephones count as the mobile phone.
 * Checked on save and on use; an error names the key.
 */
import { CusthubError } from "../../../domain/errors.js";
import type { DestinationSettingSpec } from "../../destination.js";

/** Where the POS register code comes from (seeds/000: "the customer's ref5 field"). */
export type PosRegisterField =
  | { kind: "customAttribute"; name: string }
  | { kind: "alternateKey"; typeCode: string }
  | { kind: "retailStoreID" }
  | { kind: "homeRetailStoreID" };

export interface DatanuumSettings {
  /** "Reward Points Config Code Or ID (Required)" (seeds/000). */
  rewardPointsConfig: string;
  posRegisterField: PosRegisterField;
  /** Telephone type codes taken as the mobile phone, in order of preference. */
  mobilePhoneTypes: string[];
}

export const DATANUUM_SETTINGS: readonly DestinationSettingSpec[] = [
  {
    key: "rewardPointsConfig",
    description:
      "the reward-points configuration by code or numeric id (`custhub datanuum configs list`)",
    defaultValue: null,
  },
  {
    key: "posRegisterField",
    description:
      "the customer field holding the POS register code: customAttribute:NAME, alternateKey:TYPE, retailStoreID or homeRetailStoreID",
    defaultValue: "customAttribute:POS_REGISTER",
  },
  {
    key: "mobilePhoneTypes",
    description:
      "telephone type codes taken as the mobile phone, comma-separated, in order of preference; else the primary (else the first) valid telephone that is not a FAX",
    defaultValue: "MOBILE,CELL",
  },
];

function invalid(key: string, message: string): CusthubError {
  return new CusthubError("INVALID_SETTING", `datanuum ${key}: ${message}`, {
    destination: "datanuum",
    key,
  });
}

export function parsePosRegisterField(text: string): PosRegisterField {
  const trimmed = text.trim();
  if (trimmed === "retailStoreID") return { kind: "retailStoreID" };
  if (trimmed === "homeRetailStoreID") return { kind: "homeRetailStoreID" };
  const match = /^(customAttribute|alternateKey):(\S+)$/.exec(trimmed);
  if (match?.[1] === "customAttribute") return { kind: "customAttribute", name: match[2]! };
  if (match?.[1] === "alternateKey") return { kind: "alternateKey", typeCode: match[2]! };
  throw invalid(
    "posRegisterField",
    `${JSON.stringify(text)} is not customAttribute:NAME, alternateKey:TYPE, retailStoreID or homeRetailStoreID.`,
  );
}

export function parseDatanuumSettings(
  values: Readonly<Record<string, string | null>>,
): DatanuumSettings {
  const types = (values.mobilePhoneTypes ?? "")
    .split(",")
    .map((type) => type.trim().toUpperCase())
    .filter((type) => type !== "");
  if (types.some((type) => !/^[A-Z0-9_]+$/.test(type))) {
    throw invalid(
      "mobilePhoneTypes",
      "takes telephone type codes (letters, digits, _), comma-separated.",
    );
  }
  const posRegisterField = parsePosRegisterField(
    values.posRegisterField ?? "customAttribute:POS_REGISTER",
  );
  // Checked last: a setting saved before this one is set must not be refused for its absence.
  const config = values.rewardPointsConfig?.trim() ?? "";
  if (config === "") {
    throw invalid(
      "rewardPointsConfig",
      "is needed: the reward-points configuration's code or id (seeds/000: required).",
    );
  }
  return {
    rewardPointsConfig: config,
    posRegisterField,
    mobilePhoneTypes: types,
  };
}
