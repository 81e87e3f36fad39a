/**
 * The reader's blocks keep their exact source text (the failures file is made of it), however the
 * file's bytes arrive in chunks: a chunk may end between two blocks, inside a tag, inside a
 * character, or between CR and LF.
 */
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readBlocks } from "../../src/ingest/xml-blocks.js";

const customer = (at: number): string =>
  `<Customer Action="AddorUpdate"><EntityInformation><Individual><Name>` +
  `<Name Location="First">Zoë ${at}</Name><Name Location="Last">Müller 😀</Name></Name>` +
  `</Individual></EntityInformation><AlternateKey TypeCode="XSTORE_ID"><AlternateID>K-${at}` +
  `</AlternateID></AlternateKey></Customer>`;

const blocks = Array.from({ length: 40 }, (_, at) => customer(at));
const file = Buffer.from(
  `<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- a comment <with> angle brackets -->\r\n<Customers>\r\n` +
    blocks.join("\r\n") +
    "\r\n</Customers>\r\n",
);

async function sourcesOf(chunks: Buffer[]): Promise<string[]> {
  const sources: string[] = [];
  for await (const block of readBlocks(Readable.from(chunks))) sources.push(block.source);
  return sources;
}

describe("readBlocks", () => {
  it("keeps each block's source whatever the chunks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: file.length - 1 }), { maxLength: 60 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), file.length];
          const chunks = at.slice(1).map((end, index) => file.subarray(at[index], end));
          expect(await sourcesOf(chunks)).toEqual(blocks);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps them when every chunk ends exactly between two blocks", async () => {
    // The case that once lost them: nothing of a block is held when the chunk ends.
    const text = file.toString();
    const cuts = blocks.map((block) => text.indexOf(block) + Buffer.byteLength(block));
    const at = [0, ...cuts.map((cut) => Buffer.byteLength(text.slice(0, cut))), file.length];
    const chunks = at.slice(1).map((end, index) => file.subarray(at[index], end));
    expect(await sourcesOf(chunks)).toEqual(blocks);
  });

  it("names the end tag that does not match and the element left open, whatever the chunks", async () => {
    const broken = Buffer.from(
      `<Customers>\r\n${blocks[0]}\r\n<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID">` +
        `<AlternateID>K-Ö</AlternateKey></Customer>\r\n</Customers>\r\n`,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: broken.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), broken.length];
          const chunks = at.slice(1).map((end, index) => broken.subarray(at[index], end));
          await expect(sourcesOf(chunks)).rejects.toThrow(
            "Malformed XML: the end tag </AlternateKey> does not match the open element " +
              "<AlternateID> (line 3, column 89)",
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("names an entity XML does not define, whatever the chunks", async () => {
    const broken = Buffer.from(
      `<Customers>\r\n${blocks[0]}\r\n<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID">` +
        `<AlternateID>K&nbsp;Ö</AlternateID></AlternateKey></Customer>\r\n</Customers>\r\n`,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: broken.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), broken.length];
          const chunks = at.slice(1).map((end, index) => broken.subarray(at[index], end));
          await expect(sourcesOf(chunks)).rejects.toThrow(
            "Malformed XML: the entity &nbsp; is not defined: XML defines only &amp; &lt; &gt; " +
              "&quot; &apos; and character references such as &#160; (line 3",
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("does not give a block whose own end tag is wrong, whatever the chunks", async () => {
    const misspelt = blocks[1]!.replace(/<\/Customer>$/, "</Customr>");
    const broken = Buffer.from(
      `<Customers>\r\n${blocks[0]}\r\n${misspelt}\r\n${blocks[2]}\r\n</Customers>\r\n`,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: broken.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), broken.length];
          const given: string[] = [];
          const reading = (async () => {
            for await (const block of readBlocks(
              Readable.from(at.slice(1).map((end, index) => broken.subarray(at[index], end))),
            )) {
              given.push(block.source);
            }
          })();
          await expect(reading).rejects.toThrow(
            "the end tag </Customr> does not match the open element <Customer>",
          );
          expect(given).toEqual([blocks[0]]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("ignores what an element other than the block element holds, block elements too", async () => {
    const file = Buffer.from(
      `<Customers>${blocks[0]}<ProcessedLastWeek>${blocks[1]}<Note>${blocks[2]}</Note>` +
        `</ProcessedLastWeek><Instrument><Customer><CustomerID>1</CustomerID></Customer>` +
        `</Instrument><Empty/>${blocks[3]}</Customers>`,
    );
    const read = [];
    for await (const block of readBlocks(Readable.from([file]))) read.push(block);
    expect(read.map((block) => [block.number, block.source])).toEqual([
      [1, blocks[0]],
      [2, blocks[3]],
    ]);
  });

  it("gives a block the line its start tag begins on, however the tag is broken over lines", async () => {
    for (const newline of ["\n", "\r\n", "\r"]) {
      const file = [
        "<Customers>",
        "<Customer",
        ' Action="Add"',
        ">",
        "</Customer>",
        "</Customers>",
      ];
      const read = [];
      for await (const block of readBlocks(Readable.from([Buffer.from(file.join(newline))]))) {
        read.push(block.line);
      }
      expect(read).toEqual([2]);
    }
  });

  it("holds an ignored element to the same depth limit as a block", async () => {
    const deep = "<Wrap>".repeat(40) + "</Wrap>".repeat(40);
    const file = Buffer.from(`<Customers>${blocks[0]}${deep}${blocks[1]}</Customers>`);
    const read: string[] = [];
    const reading = (async () => {
      for await (const block of readBlocks(Readable.from([file]))) read.push(block.source);
    })();
    await expect(reading).rejects.toThrow(/nested deeper than 16 levels/);
    expect(read).toEqual([blocks[0]]);
  });

  it("holds text outside the blocks to the block size limit, in time linear in its length", async () => {
    // 3 MB without a tag inside an ignored element, in 64 KB chunks as a file arrives.
    const text = "Z".repeat(65_536);
    const chunks = [
      Buffer.from(`<Customers>${blocks[0]}<Ignored>`),
      ...Array.from({ length: 48 }, () => Buffer.from(text)),
      Buffer.from(`</Ignored>${blocks[1]}</Customers>`),
    ];
    const read: string[] = [];
    const reading = (async () => {
      for await (const block of readBlocks(Readable.from(chunks))) read.push(block.source);
    })();
    await expect(reading).rejects.toThrow(
      /Outside the <Customer> blocks, more than 1,000,000 characters stand without a tag/,
    );
    expect(read).toEqual([blocks[0]]);
  });

  it("names a start tag whose attributes run past the block size limit as a tag, not as text", async () => {
    const chunks = [
      Buffer.from(`<Customers>${blocks[0]}<Customer Action="Add" Note="`),
      ...Array.from({ length: 20 }, () => Buffer.from("Z".repeat(65_536))),
      Buffer.from(`">${blocks[1]}</Customers>`),
    ];
    const read: string[] = [];
    const reading = (async () => {
      for await (const block of readBlocks(Readable.from(chunks))) read.push(block.source);
    })();
    await expect(reading).rejects.toThrow(
      /A tag runs on for more than 1,000,000 characters without its ">"/,
    );
    expect(read).toEqual([blocks[0]]);
  });

  it("reads long stretches outside the blocks that do hold tags", async () => {
    const ignored = `<Ignored>${"<Note>some text</Note>".repeat(100_000)}</Ignored>`;
    const file = Buffer.from(`<Customers>${blocks[0]}${ignored}${blocks[1]}</Customers>`);
    const chunks = Array.from({ length: Math.ceil(file.length / 65_536) }, (_, at) =>
      file.subarray(at * 65_536, (at + 1) * 65_536),
    );
    expect(await sourcesOf(chunks)).toEqual([blocks[0], blocks[1]]);
  });

  it("names the place of a bare ampersand, which saxes reads as the start of an entity", async () => {
    const cases = [
      // In text, with the rest of a large file after it: saxes ran into the block size limit.
      {
        bad: `<Customer Action="Add">\n  <BusinessName>Smith & Sons</BusinessName>\n</Customer>`,
        after: blocks.slice(2).join("\n").repeat(200),
        line: 4,
        column: 23,
      },
      // In an attribute value, in the last block: saxes reported an unclosed tag at the end.
      {
        bad: `  <Customer>\n<Name Location="A&B">x</Name></Customer>`,
        after: "",
        line: 4,
        column: 18,
      },
      // "&amp" without its ";".
      { bad: `<Customer><Name>AT&amp T</Name></Customer>`, after: "", line: 3, column: 19 },
    ];
    for (const { bad, after, line, column } of cases) {
      const file = Buffer.from(
        `<Customers>\n${blocks[0]}\n${bad}\n${after}\n<!-- a & b --><Customer><![CDATA[AT&T]]></Customer></Customers>`,
      );
      const read: string[] = [];
      const reading = (async () => {
        for await (const block of readBlocks(Readable.from([file]))) read.push(block.source);
      })();
      await expect(reading).rejects.toMatchObject({
        message: `Malformed XML: an "&" that starts no entity reference; an ampersand is written "&amp;" (line ${line}, column ${column})`,
        line,
        column,
      });
      expect(read).toEqual([blocks[0]]);
    }
  });

  it("reads an ampersand in a comment or a CDATA section as text", async () => {
    const file = Buffer.from(
      `<Customers><!-- a & b --><Customer><![CDATA[AT&T]]><X>&amp;&#38;&#x26;</X></Customer></Customers>`,
    );
    const read: string[] = [];
    for await (const block of readBlocks(Readable.from([file]))) read.push(block.element.text);
    expect(read).toEqual(["AT&T"]);
  });

  it("names the line and column of a byte that is not text", async () => {
    const file = Buffer.concat([
      Buffer.from(`<Customers>\n${blocks[0]}\n<Customer><X>ab`),
      Buffer.from([0xff]),
      Buffer.from("</X></Customer></Customers>"),
    ]);
    const read: string[] = [];
    const reading = (async () => {
      for await (const block of readBlocks(Readable.from([file]))) read.push(block.source);
    })();
    await expect(reading).rejects.toMatchObject({ line: 3, column: 16 });
    expect(read).toEqual([blocks[0]]);
  });
});
