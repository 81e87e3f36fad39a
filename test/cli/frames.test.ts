import fc from "fast-check";
import { commandPathOf } from "../../src/cli/admin-socket/admin-server.js";
import { describe, expect, it } from "vitest";
import {
  decodeData,
  encodeDataFrame,
  encodeFrame,
  FRAME,
  FrameReader,
  MAX_FRAME_BYTES,
} from "../../src/cli/admin-socket/frames.js";

const kinds = Object.values(FRAME);

describe("the command path logged for a forwarded command", () => {
  it.each([
    [["sync", "run", "--json"], "sync run"],
    [["--data", "/srv/data", "customers", "find", "--email", "ann@example.com"], "customers find"],
    [["customers", "get", "1000"], "customers get"],
    [["import", "/home/ann/customers.xml", "--json"], "import"],
    [["--config", "c.json", "config", "set", "DataSyncEnabled", "true"], "config set"],
  ])("%j -> %s, nothing of its arguments", (argv, path) => {
    expect(commandPathOf(argv)).toBe(path);
  });
});

describe("admin socket frames", () => {
  it("come out as they went in, however the byte stream is cut", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom(...kinds),
            payload: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 20 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(
            frames.map((frame) => encodeFrame(frame.kind, Buffer.from(frame.payload))),
          );
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const reader = new FrameReader();
          const decoded = [];
          let from = 0;
          for (const point of [...points, bytes.length]) {
            decoded.push(...reader.push(bytes.subarray(from, point)));
            from = point;
          }
          expect(
            decoded.map((frame) => ({ kind: frame.kind, payload: [...frame.payload] })),
          ).toEqual(frames.map((frame) => ({ kind: frame.kind, payload: [...frame.payload] })));
        },
      ),
    );
  });

  it("carry a file chunk with its file id", () => {
    const [frame] = new FrameReader().push(encodeDataFrame(7, Buffer.from("<Customers>")));
    expect(frame!.kind).toBe(FRAME.data);
    const { fileId, bytes } = decodeData(frame!.payload);
    expect({ fileId, text: bytes.toString("utf8") }).toEqual({ fileId: 7, text: "<Customers>" });
  });

  it("refuse a frame longer than the limit instead of buffering it", () => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_FRAME_BYTES + 2, 0);
    expect(() => new FrameReader().push(header)).toThrow(/not allowed/);
  });
});
