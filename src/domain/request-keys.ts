/**
 * A request's alternate keys (seeds/003): checked against the managed type list, and the ones that
 * identify the customer the request is about.
 */
import type { AlternateKey } from "./customer.js";
import { CusthubError } from "./errors.js";
import {
  given,
  type AlternateKeyInput,
  type AlternateKeyUpdateType,
  type CustomerRequest,
} from "./requests.js";
import type { ApplyContext } from "./apply-request.js";

/**
 * The longest AlternateID kept, in characters. seeds/003 sets no length; the key's index entry
 * must stay under PostgreSQL's btree limit of about 2,700 bytes, four bytes a character at most.
 */
export const MAX_ALTERNATE_ID_LENGTH = 500;

export interface RequestedKey extends AlternateKey {
  updateType: AlternateKeyUpdateType | null;
}

/** Why a key of this type names no one, and what to do: it is not in the managed list. */
export const unknownKeyTypeNote = (typeCode: string): string =>
  `alternate key type ${typeCode} is not in the managed list; add it with 'custhub alt-key-types add ${typeCode}'`;

/** A key whose type is not in the managed list: "must be in the cst_alt_key_typcode ... table". */
function unknownKeyType(typeCode: string, where: Record<string, unknown>): CusthubError {
  const note = unknownKeyTypeNote(typeCode);
  return new CusthubError("UNKNOWN_ALTERNATE_KEY_TYPE", `A${note.slice(1)}.`, {
    ...where,
    typeCode,
  });
}

/** The request's alternate keys, checked against the managed type list. */
export function requestedAlternateKeys(
  request: CustomerRequest,
  context: Pick<ApplyContext, "alternateKeyTypes">,
): RequestedKey[] {
  return (request.alternateKeys ?? []).map((key, index) => checkAlternateKey(key, index, context));
}

function checkAlternateKey(
  key: AlternateKeyInput,
  index: number,
  context: Pick<ApplyContext, "alternateKeyTypes">,
): RequestedKey {
  const typeCode = given(key.typeCode)?.toUpperCase();
  const alternateID = given(key.alternateID);
  const where = { alternateKeyIndex: index };
  if (!typeCode) {
    throw new CusthubError(
      "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
      `Alternate key ${index + 1} has no TypeCode.`,
      where,
    );
  }
  if (!alternateID) {
    throw new CusthubError(
      "ALTERNATE_KEY_VALUE_UNSPECIFIED",
      `Alternate key ${index + 1} (${typeCode}) has no AlternateID.`,
      { ...where, typeCode },
    );
  }
  // Characters are code points, as the API's schema and the attributes' lengths count them.
  const length = alternateID.length > MAX_ALTERNATE_ID_LENGTH ? [...alternateID].length : 0;
  if (length > MAX_ALTERNATE_ID_LENGTH) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Alternate key ${index + 1} (${typeCode}) has an AlternateID of ${length.toLocaleString("en")} characters; at most ${MAX_ALTERNATE_ID_LENGTH} are allowed.`,
      { ...where, typeCode, length },
    );
  }
  if (!context.alternateKeyTypes.has(typeCode)) throw unknownKeyType(typeCode, where);
  return { typeCode, alternateID, updateType: key.updateType ?? null };
}

/** The keys that identify the customer a request is about, in the order to try them. */
export function identifyingKeys(
  request: CustomerRequest,
  action: "AddorUpdate" | "Update" | "Delete",
  context: Pick<ApplyContext, "alternateKeyTypes">,
): AlternateKey[] {
  return requestedAlternateKeys(request, context)
    .filter((key) =>
      action === "Update"
        ? key.updateType === null || key.updateType === "Old"
        : key.updateType !== "DELETE",
    )
    .map(({ typeCode, alternateID }) => ({ typeCode, alternateID }));
}

export const sameKey = (a: AlternateKey, b: AlternateKey): boolean =>
  a.typeCode === b.typeCode && a.alternateID === b.alternateID;
export const hasKey = (keys: readonly AlternateKey[], key: AlternateKey): boolean =>
  keys.some((held) => sameKey(held, key));
