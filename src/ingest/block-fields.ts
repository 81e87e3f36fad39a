/**
 * How a `<Customer>` block's values are read (seeds/003): a child's text (empty counts as absent,
 * one element per value), containers written more than once, true/false flags, and an entry's
 * UpdateType.
 */
import { CusthubError } from "../domain/errors.js";
import type { EntryUpdateType } from "../domain/requests.js";
import { childrenNamed, onlyChild, type XmlElement } from "./xml-elements.js";

/** Text of a child element; `undefined` when absent (an empty element counts as absent). */
export function textOf(parent: XmlElement | undefined, name: string): string | undefined {
  const text = parent && onlyChild(parent, name)?.text;
  return text === undefined || text === "" ? undefined : text;
}

/**
 * A container (`<ContactInformation>`, `<CustomerNotes>`, `<PersonalSummary>`, ...) written once
 * or more: all its children as one element, so that a second one adds what it holds instead of
 * being dropped. A value given in two of them is still refused, by `textOf`.
 */
export function containerOf(parent: XmlElement, name: string): XmlElement | undefined {
  const all = childrenNamed(parent, name);
  if (all.length <= 1) return all[0];
  return { ...all[0]!, children: all.flatMap((container) => container.children) };
}

export function flag(raw: string | undefined, where: string): boolean | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const word = raw.trim().toLowerCase();
  if (word === "true" || word === "yes" || word === "y" || word === "1") return true;
  if (word === "false" || word === "no" || word === "n" || word === "0") return false;
  throw new CusthubError("INVALID_REQUEST", `${where} must be true or false.`, { field: where });
}

export function entryUpdateType(
  raw: string | undefined,
  where: string,
): EntryUpdateType | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const types: Record<string, EntryUpdateType> = { old: "Old", new: "New", set: "Set" };
  const type = types[raw.trim().toLowerCase()];
  if (!type)
    throw new CusthubError("INVALID_REQUEST", `${where} UpdateType must be Old, New or Set.`, {
      field: where,
    });
  return type;
}
