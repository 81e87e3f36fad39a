/**
 * Where a command's input and output go. On its own, a command talks to this process's terminal;
 * forwarded to a running `custhub serve` (docs/cli-forwarding.md), the same command code runs in
 * the server, and its output, exit code, prompts and input files travel over the admin socket to
 * the terminal of the `custhub` process that asked. Commands reach these only through `io()`, so
 * one command written once behaves the same both ways.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { CusthubError, toError } from "../domain/errors.js";
import type { Config } from "../services/config.js";
import type { Hub } from "../services/hub.js";

/** What a command writes to: stdout or stderr, with what the terminal behind it is. */
export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

/** A file a command reads, opened: its stream and the name it was given by. */
export interface InputFile {
  stream: Readable;
  fileName: string;
}

export interface CommandIo {
  stdout: OutputStream;
  stderr: OutputStream;
  setExitCode(code: number): void;
  /** One line typed without echo at a terminal, or the first line of piped stdin. */
  readSecret(prompt: string): Promise<string>;
  /** Opens a file named on the command line, relative to where the command was typed. */
  openInput(path: string): Promise<InputFile>;
  /** Settles when the person asks a long-running command to stop (Ctrl-C, SIGTERM). */
  stopRequested(): Promise<void>;
  /** The serving process's own hub and configuration, when the command runs inside it. */
  server?: { hub: Hub; config: Config };
}

const storage = new AsyncLocalStorage<CommandIo>();

export const processIo: CommandIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode(code) {
    process.exitCode = code;
  },
  readSecret: (prompt) => readSecretFromTerminal(prompt),
  openInput: (path) => Promise.resolve(openLocalFile(path)),
  stopRequested: () =>
    new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }),
};

/** Settles at the first of `events` the emitter emits, and stops listening for the others. */
export function firstOf(emitter: NodeJS.EventEmitter, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) emitter.removeListener(event, done);
      resolve();
    };
    for (const event of events) emitter.once(event, done);
  });
}

/** The input and output of the command running now. */
export function io(): CommandIo {
  return storage.getStore() ?? processIo;
}

/** Runs `work` with `commandIo` as its `io()`, also across every await inside it. */
export function runWithIo<T>(commandIo: CommandIo, work: () => Promise<T>): Promise<T> {
  return storage.run(commandIo, work);
}

/** The one message for a file that cannot be read, wherever it was tried. */
export function cannotRead(path: string, reason: string, cause?: unknown): CusthubError {
  return new CusthubError(
    "INVALID_REQUEST",
    `Cannot read ${path}: ${reason}.`,
    { file: path },
    cause === undefined ? undefined : { cause },
  );
}

/** Opens a regular file for reading, or fails with `cannotRead`. */
export function openLocalFile(path: string): InputFile {
  try {
    if (!statSync(path).isFile()) throw new Error("not a regular file");
  } catch (error) {
    throw cannotRead(path, toError(error).message, error);
  }
  return { stream: createReadStream(path), fileName: path };
}

/** One line from stdin; at a terminal, typed without echo. */
export async function readSecretFromTerminal(prompt: string): Promise<string> {
  const input = process.stdin;
  return input.isTTY ? readWithoutEcho(prompt) : readFirstLine(input);
}

async function readFirstLine(input: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    if (chunks.some((part) => part.includes(0x0a))) break;
  }
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

function readWithoutEcho(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: Error): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") {
          return finish(new CusthubError("INVALID_REQUEST", "Cancelled.", {}));
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on("data", onData);
  });
}
