/**
 * The element tree a batch file's blocks come as (xml-blocks.ts), and the readers' vocabulary for
 * it: the children by name, and the one child a value may be written in.
 */
import { CusthubError } from "../domain/errors.js";

/** One element of a block: attributes, trimmed text, children in document order. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
  line: number;
}

/** The children of `element` with this name. */
export const childrenNamed = (element: XmlElement, name: string): XmlElement[] =>
  element.children.filter((child) => child.name === name);

/** The first child of `element` with this name. */
export const childNamed = (element: XmlElement, name: string): XmlElement | undefined =>
  element.children.find((child) => child.name === name);

/** The error for a value written twice, naming both places. */
export const repeatedElement = (
  parent: XmlElement,
  what: string,
  first: XmlElement,
  second: XmlElement,
): CusthubError =>
  new CusthubError(
    "INVALID_REQUEST",
    `<${parent.name}> (line ${parent.line}) has two ${what} (lines ${first.line} and ${second.line}); only one is allowed.`,
    { field: second.name, line: second.line },
  );

/**
 * The one child of `parent` with this name. A second one is refused, naming both: which of two
 * values to keep is the sender's to say, and keeping either silently loses the other.
 */
export function onlyChild(parent: XmlElement, name: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const child of parent.children) {
    if (child.name !== name) continue;
    if (found) throw repeatedElement(parent, `<${name}> elements`, found, child);
    found = child;
  }
  return found;
}
