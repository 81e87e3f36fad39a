/**
 * What the connectors read the same way from a queued customer change: the record it carries,
 * the customer code a far side knows it by, the contact entries they may send, an entry list's
 * preferred entry, and trimmed text.
 */
import type { CustomerResponse } from "../../domain/customer-response.js";
import type { ClaimedRow } from "../../store/sync-deliveries.js";

/** The record a row carries, or why it cannot be read. */
export function customerRecordOf(row: ClaimedRow): CustomerResponse | string {
  if (row.json === null) return `Customer change ${row.uniqueId} (${row.action}) carries no record`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.json);
  } catch {
    return `Customer change ${row.uniqueId} carries a record that is not JSON`;
  }
  const record = parsed as Partial<CustomerResponse> | null;
  if (
    typeof record !== "object" ||
    record === null ||
    typeof record.customerID !== "string" ||
    typeof record.entityInformation?.individual !== "object"
  ) {
    return `Customer change ${row.uniqueId} carries a record that is not a customer record`;
  }
  return record as CustomerResponse;
}

/** The customer code the record has, or null when the configured alternate key is missing. */
export function customerCodeOf(record: CustomerResponse, keyType: string | null): string | null {
  if (keyType === null) return record.customerID;
  const key = record.alternateKey.find(
    (candidate) => candidate.typeCode.toUpperCase() === keyType.toUpperCase(),
  );
  return key && key.alternateID.trim() !== "" ? key.alternateID : null;
}

/**
 * The emails or telephones a connector may send: active and valid. custhub keeps a contact entry
 * that fails its rule, with `validFlag` false (seeds/003 "Customer Validation"; docs/validation.md),
 * and the far sides refuse such values (seeds/000: "Invalid contact formats may cause API
 * rejection"): one refused field would keep the whole customer from them, so an invalid entry
 * counts as absent, as a deactivated one does. Addresses are not filtered so: their valid flag
 * speaks of the postal code's US or Canadian form only, which says nothing of the rest.
 */
export function sendableContacts<T extends { activeFlag: string; validFlag: string }>(
  entries: readonly T[],
): T[] {
  return entries.filter((entry) => entry.activeFlag === "true" && entry.validFlag === "true");
}

/** The primary entry, else the first; null for none. */
export function preferred<T extends { primaryFlag: string }>(entries: readonly T[]): T | null {
  return entries.find((entry) => entry.primaryFlag === "true") ?? entries[0] ?? null;
}

/** The trimmed text, or null when there is none. */
export function text(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}
