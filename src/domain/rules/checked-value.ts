/**
 * The result of one validation rule: the value as the rule leaves it (rewritten to its canonical
 * spelling when the rule normalizes) and whether it met the rule (SPEC 3).
 *
 * @example
 * normalizeGender("male"); // { value: "M", valid: true }
 */
export interface CheckedValue {
  value: string;
  valid: boolean;
}
