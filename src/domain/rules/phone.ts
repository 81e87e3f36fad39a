/** A telephone number after the phone rule: the number, its extension and area code, and validity. */
export interface NormalizedPhone {
  phoneNumber: string;
  extension: string | null;
  areaCode: string | null;
  valid: boolean;
}

/** The letters the phone rule keeps, because they mark an extension: `x`, `ext`, `e`, `t`. */
const EXTENSION_MARK = /[EeXxTt]/u;
const NOT_KEPT_IN_PHONES = /[^0-9EeXxTt]/gu;

/**
 * Applies the phone and area-code rules of seeds/003 "Customer Validation" (SPEC 3): keep digits
 * and `E e X x T t`; everything from the first such letter on is the extension (its digits); an
 * explicit `extension` with digits wins over one cut from the number. The area code is read before
 * leading `1`s are dropped — first three digits of a 10-digit number, digits 2-4 of an 11-digit one
 * starting with `1`, else none. A number that is empty or starts with `0` is invalid.
 *
 * @example
 * normalizePhone("1-440-555-0100");
 * // { phoneNumber: "4405550100", extension: null, areaCode: "440", valid: true }
 * normalizePhone("(800) 555-0102 x100");
 * // { phoneNumber: "8005550102", extension: "100", areaCode: "800", valid: true }
 */
export function normalizePhone(raw: string, extension?: string | null): NormalizedPhone {
  const kept = raw.replace(NOT_KEPT_IN_PHONES, "");
  const markAt = kept.search(EXTENSION_MARK);
  const digits = markAt === -1 ? kept : kept.slice(0, markAt);
  const cutExtension = markAt === -1 ? "" : onlyDigits(kept.slice(markAt));
  const givenExtension = onlyDigits(extension ?? "");
  const chosenExtension = givenExtension !== "" ? givenExtension : cutExtension;

  const phoneNumber = digits.replace(/^1+/u, "");
  return {
    phoneNumber,
    extension: chosenExtension === "" ? null : chosenExtension,
    areaCode: areaCodeOf(digits),
    valid: phoneNumber !== "" && !phoneNumber.startsWith("0"),
  };
}

/** seeds/003 "Area Code": counted on the digits as sent, leading `1` included. */
function areaCodeOf(digits: string): string | null {
  if (digits.length === 10) return digits.slice(0, 3);
  if (digits.length === 11 && digits.startsWith("1")) return digits.slice(1, 4);
  return null;
}

function onlyDigits(value: string): string {
  return value.replace(/[^0-9]/gu, "");
}
