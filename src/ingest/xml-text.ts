/**
 * The text of a batch file's bytes, decoded in the encoding the file declares (XML 1.0, 4.3.3): a
 * byte-order mark says UTF-8 or UTF-16; otherwise the XML declaration's `encoding` does; with
 * neither, the file is UTF-8. A byte that is not a character of that encoding stops the file at
 * that byte, after the text before it: it is never replaced or dropped in silence.
 */
import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";

/** Bytes that are not characters of the file's encoding. */
export class UndecodableByte extends Error {
  constructor(
    /** What is wrong, e.g. `the byte 0xE9 is not UTF-8 text`. */
    readonly detail: string,
    /** The text of the bytes before them, which did decode. */
    readonly textBefore: string,
  ) {
    super(detail);
  }
}

const hex = (byte: number): string => `0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;

/** An encoding the file declares that this Node.js cannot decode. */
export class UnknownEncoding extends Error {
  constructor(readonly label: string) {
    super(`The file declares encoding "${label}", which cannot be read; convert it to UTF-8`);
  }
}

/** Decodes the next chunk of the file's bytes; `last` for the end of the file. */
type Decode = (chunk: Buffer, last: boolean) => string;

/** Bytes enough to hold any XML declaration's encoding. */
const DECLARATION_BYTES = 256;

/**
 * The name of the encoding the file's first bytes declare: `utf-8`, or the label as written, for
 * `TextDecoder`. `head` holds at least `DECLARATION_BYTES` bytes, or the whole file.
 */
export function declaredEncoding(head: Uint8Array): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  const start = Buffer.from(head.subarray(0, DECLARATION_BYTES)).toString("latin1");
  const declaration = /^<\?xml\s[^?]*?\bencoding\s*=\s*(["'])([A-Za-z][\w.-]*)\1/.exec(start);
  const label = declaration?.[2] ?? "utf-8";
  return /^utf-?8$/i.test(label) ? "utf-8" : label;
}

/** The file's text, chunk by chunk, as the file's bytes arrive. */
export async function* decodeXmlText(
  bytes: AsyncIterable<Buffer | string>,
): AsyncGenerator<string> {
  let head: Buffer = Buffer.alloc(0);
  let decode: Decode | undefined;
  for await (const chunk of bytes) {
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (!decode) {
      head = Buffer.concat([head, data]);
      if (head.length < DECLARATION_BYTES) continue;
      decode = decoderFor(declaredEncoding(head));
      yield decode(head, false);
      head = Buffer.alloc(0);
    } else {
      yield decode(data, false);
    }
  }
  decode ??= decoderFor(declaredEncoding(head));
  yield decode(head, true);
}

function decoderFor(encoding: string): Decode {
  return encoding === "utf-8" ? utf8Decoder() : labelDecoder(encoding);
}

/**
 * UTF-8, the usual case: each chunk is checked whole (`isUtf8`, native) and decoded at once; a
 * character split between chunks is carried over to the next one.
 */
function utf8Decoder(): Decode {
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  return (chunk, last) => {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = last ? data.length : data.length - incompleteTail(data);
    carry = Buffer.from(data.subarray(whole));
    let text = data.subarray(0, whole);
    if (first && text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf) text = text.subarray(3);
    first = false;
    if (isUtf8(text)) return text.toString("utf8");
    const valid = validUtf8Prefix(text);
    const rest = text.subarray(valid);
    const truncated = last && incompleteTail(rest) === rest.length;
    throw new UndecodableByte(
      truncated
        ? "the file ends inside a UTF-8 character"
        : `the byte ${hex(text[valid]!)} is not UTF-8 text`,
      text.subarray(0, valid).toString("utf8"),
    );
  };
}

/** The encodings of one byte per character, as `TextDecoder` names them. */
const SINGLE_BYTE = /^(?:windows-|iso-8859-|koi8-|macintosh|ibm866|x-mac-)/;

/**
 * windows-1252's characters for the bytes 0x80-0x9F (the Encoding Standard's index); every other
 * byte is the code point of its value. Node.js 20.18.3 and later decode these bytes as the C1
 * controls U+0080-U+009F (nodejs/node#56542): `O’Brien` (0x92) would be stored as `O\u0092Brien`.
 */
const WINDOWS_1252_HIGH =
  "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
  "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

/** windows-1252, which the labels ISO-8859-1, latin1, US-ASCII, cp1252, ... name: every byte is text. */
const windows1252Decoder =
  (): Decode =>
  (chunk): string =>
    chunk
      .toString("latin1")
      .replace(/[\u0080-\u009F]/g, (c1) => WINDOWS_1252_HIGH[c1.charCodeAt(0) - 0x80]!);

/** Any other encoding `TextDecoder` knows (ISO-8859-1, windows-1252, UTF-16, ...). */
function labelDecoder(label: string): Decode {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new UnknownEncoding(label);
  }
  if (decoder.encoding === "windows-1252") return windows1252Decoder();
  const name = decoder.encoding.toUpperCase();
  return (chunk, last) => {
    try {
      return decoder.decode(chunk, { stream: !last });
    } catch {
      // Where: the same bytes decoded with replacement; the first replacement marks the byte.
      const replaced = new TextDecoder(label).decode(chunk);
      const at = replaced.indexOf("\uFFFD");
      const prefix = at < 0 ? replaced : replaced.slice(0, at);
      // In a single-byte encoding the character count is the byte count.
      const byte = SINGLE_BYTE.test(decoder.encoding) ? chunk[prefix.length] : undefined;
      throw new UndecodableByte(
        byte === undefined
          ? `the file holds bytes that are not ${name} text`
          : `the byte ${hex(byte)} is not ${name} text`,
        prefix,
      );
    }
  };
}

/** How many bytes at the end of `data` begin a UTF-8 character they do not finish. */
export function incompleteTail(data: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, data.length); back += 1) {
    const byte = data[data.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** The length of the longest start of `data` made of whole, valid UTF-8 characters (RFC 3629). */
export function validUtf8Prefix(data: Uint8Array): number {
  let at = 0;
  while (at < data.length) {
    const lead = data[at]!;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    // The sequence's length and the range of its second byte, which rules out overlong forms,
    // surrogates and code points past U+10FFFF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return at;
    if (at + length > data.length) return at;
    const second = data[at + 1]!;
    if (second < low || second > high) return at;
    for (let next = 2; next < length; next += 1) {
      if ((data[at + next]! & 0xc0) !== 0x80) return at;
    }
    at += length;
  }
  return at;
}
