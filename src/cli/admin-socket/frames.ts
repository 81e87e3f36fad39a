/**
 * The admin socket's wire format: length-prefixed frames, each `[u32 length][u8 kind][payload]`
 * where length counts the kind byte and the payload. Control frames carry JSON; output and file
 * frames carry bytes as they are, so an import streams at the speed of the socket.
 *
 * One connection is one forwarded command:
 *
 * ```
 * client                                   server
 *  start {argv, terminal}  ───────────────>
 *                          <───────────────  stdout / stderr bytes (the command's output)
 *                          <───────────────  open {id, path}      (the command reads a file)
 *  opened {id} | refused {id, error} ────>
 *  data {id, bytes} ... end {id}  ───────>
 *                          <───────────────  ask {id, prompt}     (a secret to type)
 *  answer {id, value | error}  ──────────>
 *  stop  (Ctrl-C)          ───────────────>
 *                          <───────────────  exit {code}
 * ```
 */

export const FRAME = {
  // client -> server
  start: 1,
  opened: 2,
  refused: 3,
  data: 4,
  end: 5,
  answer: 6,
  stop: 7,
  // server -> client
  stdout: 20,
  stderr: 21,
  open: 22,
  ask: 23,
  exit: 24,
} as const;

export type FrameKind = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  kind: number;
  payload: Buffer;
}

/** What a frame may hold at most: a file travels in many. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

const HEADER_BYTES = 5;

export function encodeFrame(kind: FrameKind, payload: Buffer | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(body.length + 1, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, body]);
}

export function encodeJsonFrame(kind: FrameKind, value: unknown): Buffer {
  return encodeFrame(kind, JSON.stringify(value));
}

/** A file chunk: `[u32 file id][bytes]`. */
export function encodeDataFrame(fileId: number, bytes: Buffer): Buffer {
  const id = Buffer.allocUnsafe(4);
  id.writeUInt32BE(fileId, 0);
  return encodeFrame(FRAME.data, Buffer.concat([id, bytes]));
}

export function decodeData(payload: Buffer): { fileId: number; bytes: Buffer } {
  return { fileId: payload.readUInt32BE(0), bytes: payload.subarray(4) };
}

export function jsonOf<T>(frame: Frame): T {
  return JSON.parse(frame.payload.toString("utf8")) as T;
}

/** Cuts a byte stream into frames; refuses a frame larger than `MAX_FRAME_BYTES`. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffer.length < HEADER_BYTES) break;
      const length = this.#buffer.readUInt32BE(0);
      if (length < 1 || length > MAX_FRAME_BYTES + 1) {
        throw new Error(`admin socket: a frame of ${length} bytes is not allowed`);
      }
      if (this.#buffer.length < 4 + length) break;
      frames.push({
        kind: this.#buffer.readUInt8(4),
        payload: this.#buffer.subarray(HEADER_BYTES, 4 + length),
      });
      this.#buffer = this.#buffer.subarray(4 + length);
    }
    return frames;
  }
}
