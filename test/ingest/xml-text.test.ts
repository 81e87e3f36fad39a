/**
 * Decoding a batch file's bytes in the encoding it declares, and stopping at the first byte that
 * is not text instead of replacing it.
 */
import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  declaredEncoding,
  decodeXmlText,
  incompleteTail,
  UndecodableByte,
  UnknownEncoding,
  validUtf8Prefix,
} from "../../src/ingest/xml-text.js";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

async function decoded(...parts: Uint8Array[]): Promise<string> {
  let text = "";
  for await (const chunk of decodeXmlText(chunks(...parts))) text += chunk;
  return text;
}

async function failure(...parts: Uint8Array[]): Promise<unknown> {
  return decoded(...parts).then(
    () => undefined,
    (error: unknown) => error,
  );
}

const bytes = (text: string, encoding: BufferEncoding = "utf8"): Buffer =>
  Buffer.from(text, encoding);

describe("declaredEncoding", () => {
  it.each([
    ["no declaration", bytes("<Customers/>"), "utf-8"],
    ["a declaration without encoding", bytes('<?xml version="1.0"?><Customers/>'), "utf-8"],
    ["UTF-8", bytes('<?xml version="1.0" encoding="UTF-8"?>'), "utf-8"],
    [
      "UTF8 (the document's Merge example)",
      bytes('<?xml version="1.0" encoding="UTF8"?>'),
      "utf-8",
    ],
    ["ISO-8859-1", bytes('<?xml version="1.0" encoding="ISO-8859-1"?>'), "ISO-8859-1"],
    ["single quotes", bytes("<?xml version='1.0' encoding='windows-1252'?>"), "windows-1252"],
    ["a UTF-8 byte-order mark", Buffer.from([0xef, 0xbb, 0xbf, 0x3c]), "utf-8"],
    ["a UTF-16LE byte-order mark", Buffer.from([0xff, 0xfe, 0x3c, 0x00]), "utf-16le"],
    ["a UTF-16BE byte-order mark", Buffer.from([0xfe, 0xff, 0x00, 0x3c]), "utf-16be"],
    ["encoding named outside the declaration", bytes('<Customers encoding="latin1"/>'), "utf-8"],
  ])("%s", (_, head, encoding) => {
    expect(declaredEncoding(head)).toBe(encoding);
  });
});

describe("decodeXmlText", () => {
  it("decodes the encoding the file declares", async () => {
    const declaration = '<?xml version="1.0" encoding="ISO-8859-1"?>\n';
    const file = Buffer.concat([
      bytes(declaration),
      bytes("<Customers>René</Customers>", "latin1"),
    ]);
    expect(await decoded(file)).toBe(`${declaration}<Customers>René</Customers>`);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      bytes("<Customers>Zoë</Customers>", "utf16le"),
    ]);
    expect(await decoded(utf16)).toBe("<Customers>Zoë</Customers>");
  });

  it("reads windows-1252's € and typographic quotes, under every label of that encoding", async () => {
    // The Encoding Standard's index-windows-1252 for 0x80-0x9F (0x81, 0x8D, 0x8F, 0x90, 0x9D stay).
    const expected =
      "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
      "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";
    const high = Buffer.from(Array.from({ length: 32 }, (_, at) => 0x80 + at));
    // The Encoding Standard reads ISO-8859-1, latin1 and US-ASCII as windows-1252, as browsers do.
    for (const label of ["windows-1252", "cp1252", "ISO-8859-1", "latin1", "US-ASCII"]) {
      const declaration = `<?xml version="1.0" encoding="${label}"?>\n`;
      const file = Buffer.concat([
        bytes(declaration),
        bytes("<Customers>O"),
        Buffer.from([0x92]),
        bytes("Brien "),
        high,
        bytes(" Ren\u00e9</Customers>", "latin1"),
      ]);
      expect(await decoded(file), label).toBe(
        `${declaration}<Customers>O\u2019Brien ${expected} Ren\u00e9</Customers>`,
      );
      // Split anywhere, the same text.
      expect(await decoded(file.subarray(0, 70), file.subarray(70)), label).toBe(
        await decoded(file),
      );
    }
  });

  it("joins characters split between chunks, whatever the split", async () => {
    const text = `<?xml version="1.0"?>\n<Customers>${"Müller 日本 😀 ".repeat(40)}</Customers>`;
    const file = bytes(text);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: file.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), file.length];
          const parts = at.slice(1).map((end, index) => file.subarray(at[index], end));
          expect(await decoded(...parts)).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("stops at a byte that is not UTF-8, with the text before it", async () => {
    const before = `<Customers>${"x".repeat(300)}<Name>Ren`;
    const error = await failure(Buffer.concat([bytes(before), Buffer.from([0xe9, 0x3c])]));
    expect(error).toBeInstanceOf(UndecodableByte);
    expect((error as UndecodableByte).detail).toBe("the byte 0xE9 is not UTF-8 text");
    expect((error as UndecodableByte).textBefore).toBe(before);
  });

  it("says so when the file ends inside a character", async () => {
    const error = await failure(Buffer.concat([bytes("<Customers>€"), Buffer.from([0xe2, 0x82])]));
    expect((error as UndecodableByte).detail).toBe("the file ends inside a UTF-8 character");
    expect((error as UndecodableByte).textBefore).toBe("<Customers>€");
  });

  it("refuses an encoding it cannot decode, by name", async () => {
    const error = await failure(bytes('<?xml version="1.0" encoding="x-no-such"?><Customers/>'));
    expect(error).toBeInstanceOf(UnknownEncoding);
    expect((error as Error).message).toMatch(/"x-no-such"/);
  });
});

describe("validUtf8Prefix", () => {
  it.each([
    ["ASCII", [0x41, 0x42], 2],
    ["two-byte", [0xc3, 0xa9], 2],
    ["overlong two-byte", [0xc0, 0xaf], 0],
    ["overlong three-byte", [0xe0, 0x80, 0xaf], 0],
    ["a surrogate", [0x41, 0xed, 0xa0, 0x80], 1],
    ["past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["a lone continuation", [0x41, 0x80], 1],
    ["a cut-off sequence", [0x41, 0xe2, 0x82], 1],
  ])("%s", (_, input, length) => {
    expect(validUtf8Prefix(Uint8Array.from(input))).toBe(length);
  });

  it("agrees with Node's own UTF-8 check on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        const valid = validUtf8Prefix(input);
        expect(isUtf8(input.subarray(0, valid))).toBe(true);
        expect(valid === input.length).toBe(isUtf8(input));
        // The prefix stops at the first character a decoder would replace.
        const replaced = new TextDecoder().decode(input);
        const prefix = Buffer.from(input.subarray(0, valid)).toString("utf8");
        if (valid < input.length && !prefix.includes("\uFFFD")) {
          expect(replaced.startsWith(prefix)).toBe(true);
          expect(replaced[prefix.length]).toBe("\uFFFD");
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("incompleteTail counts only the bytes of a character begun and not finished", () => {
    expect(incompleteTail(Uint8Array.from([0x41]))).toBe(0);
    expect(incompleteTail(Uint8Array.from([0x41, 0xe2]))).toBe(1);
    expect(incompleteTail(Uint8Array.from([0x41, 0xe2, 0x82]))).toBe(2);
    expect(incompleteTail(Uint8Array.from([0xe2, 0x82, 0xac]))).toBe(0);
    expect(incompleteTail(Uint8Array.from([0xf0, 0x9f, 0x98]))).toBe(3);
  });
});
