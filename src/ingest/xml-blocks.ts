/**
 * Streams a batch file and yields its blocks: each `<Customer>` under `<Customers>` and each
 * `<Instrument>` under `<ActivateInstrumentCustomerRequest>` (seeds/003), as a small element tree
 * plus the block's own source text (for the failures file) and where it starts.
 *
 * Memory stays flat: only the block being read is held, never the file. The XML is read with
 * saxes, which never processes a DTD or expands entities; a file that declares a DTD is refused,
 * and blocks deeper or larger than the limits below are refused rather than buffered. The bytes are
 * decoded in the encoding the file declares (xml-text.ts), and bytes that are not text stop the file
 * like malformed XML.
 *
 * The element tree and the helpers that read it are in xml-elements.ts.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import { CusthubError } from "../domain/errors.js";
import { decodeXmlText, UndecodableByte, UnknownEncoding } from "./xml-text.js";
import type { XmlElement } from "./xml-elements.js";

export type RootKind = "Customers" | "ActivateInstrumentCustomerRequest";

export interface XmlBlock {
  /** 1-based position of the block in the file. */
  number: number;
  /** Line of the block's start tag. */
  line: number;
  element: XmlElement;
  /** The block exactly as written in the file. */
  source: string;
  /** Empty elements (`<Name></Name>`): the document's "empty XML tags" warnings. */
  emptyTags: string[];
}

export interface XmlFileHead {
  root: RootKind;
  /** The root's start tag as written, reused for the failures file. */
  rootTag: string;
  /** The root's name as written, with its namespace prefix if any: the failures file's end tag. */
  rootName: string;
}

export const BLOCK_ELEMENT: Record<RootKind, string> = {
  Customers: "Customer",
  ActivateInstrumentCustomerRequest: "Instrument",
};

const MAX_DEPTH = 16;
const MAX_BLOCK_CHARS = 1_000_000;

/** Thrown when the file is not well-formed XML, or not a batch file; names line and column. */
export class XmlFileError extends CusthubError {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super("INVALID_REQUEST", message, { line, column });
  }
}

const localName = (name: string): string => name.slice(name.indexOf(":") + 1);

/**
 * Elements whose data is all in their attributes (`<ContactPreference ContactType="Email"
 * Permission="Y"/>`). Any other element with neither text nor children is an empty tag, its
 * attributes or not: the document's own `<Name Location="First2"></Name>` (seeds/003 "Empty XML
 * Tags").
 */
const ATTRIBUTE_DATA = new Set(["ContactPreference"]);

/** Line breaks in `text` as XML counts them: CR LF, LF, or CR alone. */
const lineBreaks = (text: string): number => text.match(/\r\n?|\n/g)?.length ?? 0;

/** An "&" that starts no entity or character reference (`&name;`, `&#38;`, `&#x26;`). */
const BARE_AMPERSAND = /&(?![^\s&;<>"']+;)/;
/** The words naming an undefined entity reference; its name is the file's own text. */
const undefinedEntity = (name: string): string => `the entity &${name}; is not defined`;
const UNDEFINED_ENTITY = /the entity &[^\s&;<]{1,100}; is not defined/g;

/**
 * Why a file stopped, as a log line may say it. An undefined entity's name is the file's text, a
 * customer's value as often as not (`Ben&Jerry;`, an email with an "&"), and logs carry no
 * customer data (SPEC 9): the log says `&...;` and the place, and the import's own record
 * (`imports show`) keeps the name.
 */
export const stopReasonForLog = (message: string): string =>
  message.replace(UNDEFINED_ENTITY, undefinedEntity("..."));

/** Comments and CDATA sections, where an "&" is text. */
const LITERAL_SECTIONS = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g;

/** The attributes by local name; saxes's own object when no name has a prefix (the usual case). */
function localAttributes(attributes: Record<string, string>): Record<string, string> {
  for (const key in attributes) {
    if (key.includes(":")) {
      const local: Record<string, string> = {};
      for (const [name, value] of Object.entries(attributes)) local[localName(name)] = value;
      return local;
    }
  }
  return attributes;
}

/**
 * Reads `input` (a path or a stream of the file's bytes) block by block. `onHead` is called once
 * the root element is known, before the first block.
 */
export async function* readBlocks(
  input: string | Readable,
  onHead: (head: XmlFileHead) => void = () => undefined,
): AsyncGenerator<XmlBlock> {
  const stream = typeof input === "string" ? createReadStream(input) : input;
  const text = decodeXmlText(stream as AsyncIterable<Buffer | string>);
  const parser = new SaxesParser<{ xmlns: false; position: true }>({
    xmlns: false,
    position: true,
  });
  const ready: XmlBlock[] = [];
  let failure: Error | undefined;

  // The text of the stream from `bufferStart` on: the block being read, or nothing.
  let buffer = "";
  let bufferStart = 0;
  let root: RootKind | undefined;
  let blockName = "";
  let blockCount = 0;
  let blockStart = -1;
  let blockLine = 0;
  // Where on its line the block's start tag begins (0-based); -1 when the tag spans lines.
  let blockColumn = -1;
  let stack: XmlElement[] = [];
  // Inside an element ignored under the root: how deep.
  let ignoredDepth = 0;
  let emptyTags: string[] = [];

  /** Stops the file at where saxes stands, or at `column` of its line. */
  const fail = (message: string, column = parser.column): never => {
    throw new XmlFileError(
      `${message} (line ${parser.line}, column ${column})`,
      parser.line,
      column,
    );
  };

  // The element saxes closed last: for an end tag that does not match, the one left open. saxes
  // reports the element closed before it checks the end tag's name, so a block whose own end tag
  // is wrong was already taken as whole: `closedBlock` is it, until the next event.
  let lastClosed = "";
  let closedBlock: XmlBlock | undefined;
  /**
   * A bare "&" in the text not yet given out (the block being read, or what came after the last
   * block), as an error naming its place. saxes reads an entity's name up to the next ";",
   * whatever comes between, and then reports what it ran into far later: an unclosed tag at the
   * end of the file, or the block size limit.
   */
  const bareAmpersand = (): XmlFileError | undefined => {
    const from = Math.max(blockStart - bufferStart, 0);
    const to = Math.min(parser.position - bufferStart, buffer.length);
    const text = buffer.slice(from, to);
    const found = BARE_AMPERSAND.exec(
      text.replace(LITERAL_SECTIONS, (section) => " ".repeat(section.length)),
    );
    if (!found) return undefined;
    // Counted back from where saxes stands, whose line and column are known.
    const after = text.slice(found.index);
    const breaksAfter = lineBreaks(after);
    const line = parser.line - breaksAfter;
    const before = text.slice(0, found.index);
    const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r"));
    const column =
      lineStart >= 0
        ? found.index - lineStart
        : breaksAfter === 0
          ? parser.column - after.length + 1
          : blockStart >= 0 && blockColumn >= 0
            ? blockColumn + found.index + 1
            : 0;
    return new XmlFileError(
      `Malformed XML: an "&" that starts no entity reference; an ampersand is written "&amp;" (line ${line}${column > 0 ? `, column ${column}` : ""})`,
      line,
      column,
    );
  };

  // saxes says "9:99: unexpected close tag."; the place is added back in the same form as ours.
  parser.on("error", (error) => {
    const ampersand = bareAmpersand();
    if (ampersand) throw ampersand;
    let message = error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, "").replace(/\.$/, "");
    if (message === "unexpected close tag") {
      // The end tag just read is the text's last "</"; saxes names neither it nor the open one.
      const end = parser.position - bufferStart;
      const found = /^<\/([^\s>]+)/.exec(buffer.slice(buffer.lastIndexOf("</", end - 1), end));
      message = `the end tag </${found?.[1] ?? "?"}> does not match the open element <${lastClosed}>`;
      if (closedBlock !== undefined && ready.at(-1) === closedBlock) ready.pop();
    } else if (message === "undefined entity") {
      // The reference just read ends the text read so far; saxes does not name it.
      const end = parser.position - bufferStart;
      const found = /&([^\s&;<]{1,100});$/.exec(buffer.slice(Math.max(0, end - 110), end));
      message =
        `${undefinedEntity(found?.[1] ?? "?")}: XML defines only &amp; &lt; &gt; ` +
        "&quot; &apos; and character references such as &#160;";
    }
    fail(`Malformed XML: ${message}`);
  });
  parser.on("doctype", () => fail("A DTD is not allowed in a batch file"));
  parser.on("opentag", (tag: SaxesTagPlain) => {
    const name = localName(tag.name);
    if (root === undefined) {
      if (name !== "Customers" && name !== "ActivateInstrumentCustomerRequest") {
        fail(
          `The root element is <${name}>; a batch file has <Customers> or <ActivateInstrumentCustomerRequest>`,
        );
      }
      root = name as RootKind;
      blockName = BLOCK_ELEMENT[root];
      const end = parser.position - bufferStart;
      const rootTag = buffer.slice(buffer.lastIndexOf("<", end - 1), end);
      onHead({ root, rootTag, rootName: tag.name });
      return;
    }
    if (ignoredDepth > 0) {
      ignoredDepth += 1;
      if (ignoredDepth > MAX_DEPTH) fail(`Elements are nested deeper than ${MAX_DEPTH} levels`);
      return;
    }
    if (stack.length === 0) {
      // Elements other than the block element directly under the root are ignored, with all they
      // hold, a block element among it too (seeds/003: "If any fields other than the ones listed
      // above are included ..., they will be ignored").
      if (name !== blockName) {
        ignoredDepth = 1;
        return;
      }
      const end = parser.position - bufferStart;
      blockStart = bufferStart + buffer.lastIndexOf("<", end - 1);
      // saxes is at the start tag's end; the block's line is where the tag begins.
      const startTag = buffer.slice(blockStart - bufferStart, end);
      const tagLines = lineBreaks(startTag);
      blockLine = parser.line - tagLines;
      blockColumn = tagLines === 0 ? parser.column - startTag.length : -1;
    } else if (stack.length >= MAX_DEPTH) {
      fail(`Elements are nested deeper than ${MAX_DEPTH} levels`);
    }
    const element: XmlElement = {
      name,
      attributes: localAttributes(tag.attributes),
      text: "",
      children: [],
      line: parser.line,
    };
    stack.at(-1)?.children.push(element);
    stack.push(element);
  });
  parser.on("text", (text) => {
    const current = stack.at(-1);
    if (current) current.text += text;
  });
  parser.on("cdata", (text) => {
    const current = stack.at(-1);
    if (current) current.text += text;
  });
  parser.on("closetag", (tag) => {
    lastClosed = tag.name;
    closedBlock = undefined;
    if (ignoredDepth > 0) {
      ignoredDepth -= 1;
      return;
    }
    const element = stack.pop();
    if (!element) return;
    element.text = element.text.trim();
    if (element.text === "" && element.children.length === 0 && !ATTRIBUTE_DATA.has(element.name)) {
      emptyTags.push(element.name);
    }
    if (stack.length === 0) {
      blockCount += 1;
      closedBlock = {
        number: blockCount,
        line: blockLine,
        element,
        source: buffer.slice(blockStart - bufferStart, parser.position - bufferStart),
        emptyTags,
      };
      ready.push(closedBlock);
      emptyTags = [];
      blockStart = -1;
    }
  });

  // Where the text's last "<" stands, found in each chunk as it comes (never by searching the
  // whole buffer again, which made a long stretch without a tag cost time by its square).
  let lastTagAt = -1;
  const trimBuffer = (): void => {
    // Outside a block, the text is kept from its last "<": a tag the chunk cut in two (perhaps the
    // next block's start tag) begins there, and "<" appears in no attribute value. saxes's
    // `position` cannot say where the text read ends: between writes it runs one chunk ahead.
    const keepFrom =
      blockStart >= 0
        ? blockStart
        : lastTagAt >= bufferStart
          ? lastTagAt
          : bufferStart + buffer.length;
    if (keepFrom > bufferStart) {
      buffer = buffer.slice(keepFrom - bufferStart);
      bufferStart = keepFrom;
    }
    if (buffer.length > MAX_BLOCK_CHARS) {
      const ampersand = bareAmpersand();
      if (ampersand) throw ampersand;
      const limit = MAX_BLOCK_CHARS.toLocaleString("en");
      // Outside a block the buffer starts at its last "<": with no ">" after it, that tag (a
      // block's start tag among them, its attributes being read) is what has not ended.
      const inTag = blockStart < 0 && lastTagAt >= bufferStart && !buffer.includes(">");
      fail(
        blockStart >= 0
          ? `A <${blockName}> block is larger than ${limit} characters`
          : inTag
            ? `A tag runs on for more than ${limit} characters without its ">" (attributes that long, or a tag never closed)`
            : `Outside the <${blockName || "Customer"}> blocks, more than ${limit} characters stand without a tag (a text, a comment or an ignored element's content)`,
      );
    }
  };

  try {
    for (;;) {
      // Bytes that are not text stop the file where they stand, after the text before them.
      let chunk: string;
      let undecodable: UndecodableByte | undefined;
      try {
        const next = await text.next();
        if (next.done) break;
        chunk = next.value;
      } catch (error) {
        if (error instanceof UnknownEncoding) fail(error.message);
        if (!(error instanceof UndecodableByte)) throw error;
        undecodable = error;
        chunk = error.textBefore;
      }
      const tagInChunk = chunk.lastIndexOf("<");
      if (tagInChunk >= 0) lastTagAt = bufferStart + buffer.length + tagInChunk;
      buffer += chunk;
      try {
        parser.write(chunk);
      } catch (error) {
        failure = error as Error;
      }
      yield* ready.splice(0);
      if (failure) throw failure;
      // saxes stands after the last character read; the byte is the next one.
      if (undecodable)
        fail(`The file is not readable text: ${undecodable.detail}`, parser.column + 1);
      trimBuffer();
    }
    try {
      parser.close();
    } catch (error) {
      failure = error as Error;
    }
    yield* ready.splice(0);
    if (failure) throw failure;
    if (root === undefined) {
      throw new XmlFileError("The file holds no XML element", parser.line, parser.column);
    }
  } finally {
    stack = [];
    await text.return(undefined);
    if (typeof input === "string") stream.destroy();
  }
}
