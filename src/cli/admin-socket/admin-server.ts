/**
 * The admin socket of `custhub serve` (SPEC 1, docs/cli-forwarding.md): a Unix socket in the data
 * dir, mode 0600, so only the data dir's owner can connect, and who connects acts as `sysadmin`,
 * as the CLI does on its own. Each connection runs one CLI command inside this process, on the
 * server's own hub: the server stays the only process that touches the embedded database.
 */
import { createServer, type Server, type Socket } from "node:net";
import { chmodSync, rmSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { CusthubError, ERROR_CODES, type ErrorCode } from "../../domain/errors.js";
import type { Config } from "../../services/config.js";
import type { Hub } from "../../services/hub.js";
import { firstOf, runWithIo, type CommandIo, type InputFile, type OutputStream } from "../io.js";
import { reportFailure } from "../output.js";
import {
  decodeData,
  encodeFrame,
  encodeJsonFrame,
  FRAME,
  FrameReader,
  jsonOf,
  MAX_FRAME_BYTES,
  type Frame,
} from "./frames.js";

/** What the forwarding process says about its terminal, so output looks as it would there. */
export interface TerminalOf {
  isTTY: boolean;
  columns?: number;
}

export interface StartFrame {
  argv: string[];
  stdout: TerminalOf;
  stderr: TerminalOf;
}

export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface AdminServerOptions {
  socketPath: string;
  /** The server's hub and configuration, once its database is open. */
  ready: Promise<{ hub: Hub; config: Config }>;
  /** Runs one command line (without `node custhub`) under the current `io()`. */
  runCommand(argv: readonly string[]): Promise<void>;
  onError?(error: unknown): void;
  /** A forwarded command starts and ends (for the log: its command path and exit code only). */
  onCommand?(event: { command: string; exitCode?: number }): void;
}

export interface AdminServer {
  readonly socketPath: string;
  /** Stops taking commands and waits for those in hand to end. */
  close(): Promise<void>;
}

export function errorFromWire(error: WireError): CusthubError {
  const code = (ERROR_CODES as readonly string[]).includes(error.code)
    ? (error.code as ErrorCode)
    : "GENERAL_ERROR";
  return new CusthubError(code, error.message, error.details ?? {});
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  // Ours to replace: the caller holds the data dir's lock, so a socket file here is a dead one's.
  rmSync(options.socketPath, { force: true });
  options.ready.catch(() => undefined); // each command reports it; never an unhandled rejection.
  const sessions = new Set<Promise<void>>();
  const server: Server = createServer({ pauseOnConnect: false }, (socket) => {
    const session = serveConnection(socket, options).finally(() => sessions.delete(session));
    sessions.add(session);
  });
  // The socket is created with no access for group and others, then set to 0600 for certain.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(options.socketPath, 0o600);
  return {
    socketPath: options.socketPath,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...sessions]);
      rmSync(options.socketPath, { force: true });
    },
  };
}

/** One forwarded command, from its `start` frame to its `exit` frame. */
async function serveConnection(socket: Socket, options: AdminServerOptions): Promise<void> {
  const session = new Session(socket);
  const start = await session.started;
  if (!start) return;
  let exitCode = 0;
  const commandIo = session.io(start, (code) => (exitCode = code));
  const command = commandPathOf(start.argv);
  options.onCommand?.({ command });
  await runWithIo(commandIo, async () => {
    try {
      const server = await options.ready;
      commandIo.server = server;
      await options.runCommand(start.argv);
    } catch (error) {
      options.onError?.(error);
      exitCode = reportFailure({ json: start.argv.includes("--json") }, error);
    }
  });
  await session.finish(exitCode);
  options.onCommand?.({ command, exitCode });
}

/**
 * The command's words (`sync run`, `customers get`), without its options and arguments: those may
 * carry customer data (an email to find, a file name), which stays out of the log.
 */
export function commandPathOf(argv: readonly string[]): string {
  const words: string[] = [];
  for (let at = 0; at < argv.length && words.length < 2; at += 1) {
    const token = argv[at]!;
    // Global options with a value come before the command: `--data DIR`, `--config FILE`.
    if (token === "--data" || token === "--config") at += 1;
    else if (token.startsWith("-")) continue;
    else if (/^[a-z][a-z-]*$/.test(token)) words.push(token);
    else break;
  }
  return words.join(" ");
}

class Session {
  readonly started: Promise<StartFrame | null>;
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  readonly #files = new Map<number, { stream: Readable; opened: Deferred<void> }>();
  readonly #asks = new Map<number, Deferred<string>>();
  readonly #stop = deferred<void>();
  readonly #outputs: Writable[] = [];
  #nextId = 1;
  #closed = false;
  #resolveStart!: (start: StartFrame | null) => void;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.started = new Promise((resolve) => (this.#resolveStart = resolve));
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const frame of this.#reader.push(chunk)) this.#onFrame(frame);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on("error", () => undefined); // the client went away: handled on close.
    socket.on("close", () => this.#onClose());
  }

  io(start: StartFrame, setExitCode: (code: number) => void): CommandIo {
    const stdout = this.#output(FRAME.stdout, start.stdout);
    const stderr = this.#output(FRAME.stderr, start.stderr);
    return {
      stdout,
      stderr,
      setExitCode,
      readSecret: (prompt) => this.#ask(prompt),
      openInput: (path) => this.#open(path),
      stopRequested: () => this.#stop.promise,
    };
  }

  /** Flushes the command's output, then says how it ended. */
  async finish(exitCode: number): Promise<void> {
    await Promise.all(
      this.#outputs.map((output) => new Promise<void>((resolve) => output.end(() => resolve()))),
    );
    if (this.#closed) return;
    this.#socket.end(encodeJsonFrame(FRAME.exit, { code: exitCode }));
  }

  #send(frame: Buffer): boolean {
    if (this.#closed) return true;
    return this.#socket.write(frame);
  }

  #output(kind: typeof FRAME.stdout | typeof FRAME.stderr, terminal: TerminalOf): OutputStream {
    const socket = this.#socket;
    const output = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        // A frame holds at most MAX_FRAME_BYTES: a longer output (a large import's review as one
        // JSON document) goes in several, which the client writes out one after another.
        let flowing = true;
        for (let at = 0; at < chunk.length; at += MAX_FRAME_BYTES) {
          flowing = this.#send(encodeFrame(kind, chunk.subarray(at, at + MAX_FRAME_BYTES)));
        }
        if (flowing) return callback();
        // The client may go away instead of reading on (closed, killed): the write then ends too,
        // or the command would wait for ever, and a server stopping would wait for the command.
        void firstOf(socket, ["drain", "close"]).then(() => callback());
      },
    }) as Writable & OutputStream;
    output.isTTY = terminal.isTTY;
    if (terminal.columns !== undefined) output.columns = terminal.columns;
    this.#outputs.push(output);
    return output;
  }

  #ask(prompt: string): Promise<string> {
    const id = this.#nextId++;
    const answer = deferred<string>();
    if (this.#closed) answer.reject(gone());
    else {
      this.#asks.set(id, answer);
      this.#send(encodeJsonFrame(FRAME.ask, { id, prompt }));
    }
    return answer.promise;
  }

  async #open(path: string): Promise<InputFile> {
    const id = this.#nextId++;
    const socket = this.#socket;
    // Bytes come as the command reads them: a full stream pauses the socket until it drains.
    const stream = new Readable({ read: () => void socket.resume() });
    // Whoever reads it hears of a failure through its own listener (a pipeline); this one only
    // keeps a failure nobody reads from taking the whole server down.
    stream.on("error", () => undefined);
    const opened = deferred<void>();
    if (this.#closed) throw gone();
    this.#files.set(id, { stream, opened });
    this.#send(encodeJsonFrame(FRAME.open, { id, path }));
    await opened.promise;
    return { stream, fileName: path };
  }

  #onFrame(frame: Frame): void {
    switch (frame.kind) {
      case FRAME.start:
        this.#resolveStart(jsonOf<StartFrame>(frame));
        return;
      case FRAME.opened: {
        const { id } = jsonOf<{ id: number }>(frame);
        this.#files.get(id)?.opened.resolve();
        return;
      }
      case FRAME.refused: {
        const { id, error } = jsonOf<{ id: number; error: WireError }>(frame);
        const file = this.#files.get(id);
        if (!file) return;
        this.#files.delete(id);
        const failure = errorFromWire(error);
        file.opened.reject(failure);
        file.stream.destroy(failure);
        return;
      }
      case FRAME.data: {
        const { fileId, bytes } = decodeData(frame.payload);
        const file = this.#files.get(fileId);
        // Copied: the frame's bytes are a view of the reader's buffer.
        if (file && !file.stream.push(Buffer.from(bytes))) this.#socket.pause();
        return;
      }
      case FRAME.end: {
        const { id } = jsonOf<{ id: number }>(frame);
        this.#files.get(id)?.stream.push(null);
        this.#files.delete(id);
        return;
      }
      case FRAME.answer: {
        const { id, value, error } = jsonOf<{ id: number; value?: string; error?: WireError }>(
          frame,
        );
        const ask = this.#asks.get(id);
        this.#asks.delete(id);
        if (error) ask?.reject(errorFromWire(error));
        else ask?.resolve(value ?? "");
        return;
      }
      case FRAME.stop:
        this.#stop.resolve();
        return;
      default:
        throw new Error(`admin socket: unknown frame kind ${frame.kind}`);
    }
  }

  #onClose(): void {
    this.#closed = true;
    this.#resolveStart(null);
    this.#stop.resolve();
    for (const file of this.#files.values()) {
      file.opened.reject(gone());
      file.stream.destroy(gone());
    }
    this.#files.clear();
    for (const ask of this.#asks.values()) ask.reject(gone());
    this.#asks.clear();
  }
}

function gone(): CusthubError {
  return new CusthubError(
    "GENERAL_ERROR",
    "The custhub command that asked for this went away before it ended.",
    {},
  );
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => undefined); // rejected while nobody waits: not an unhandled rejection.
  return { promise, resolve, reject };
}
