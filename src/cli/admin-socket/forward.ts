/**
 * The CLI's side of the admin socket: hands one command line to the running `custhub serve` and
 * plays its output, prompts and exit code back on this terminal, sending the files it reads from
 * here (docs/cli-forwarding.md). Ctrl-C asks the command to stop; a second one leaves at once.
 */
import { lstatSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { CusthubError, isCusthubError, toError } from "../../domain/errors.js";
import { openLocalFile, readSecretFromTerminal } from "../io.js";
import type { StartFrame, WireError } from "./admin-server.js";
import {
  encodeDataFrame,
  encodeJsonFrame,
  FRAME,
  FrameReader,
  jsonOf,
  type Frame,
} from "./frames.js";

/** The exit code when the person left with a second Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;

function wireErrorOf(error: unknown): WireError {
  return isCusthubError(error)
    ? error.toJSON()
    : { code: "GENERAL_ERROR", message: toError(error).message, details: {} };
}

/**
 * Refuses a socket this user should not hand a command to: the lock file names the path, and what
 * is there must be a socket (not a link to one elsewhere) that belongs to this user. Otherwise
 * someone else could take the command line, ask for files, and ask for a secret to be typed.
 */
function checkOwnSocket(socketPath: string): void {
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch (error) {
    throw new CusthubError(
      "GENERAL_ERROR",
      `Cannot use the admin socket ${socketPath}: ${toError(error).message}.`,
      { socket: socketPath },
      { cause: error },
    );
  }
  if (!stat.isSocket()) {
    throw new CusthubError(
      "GENERAL_ERROR",
      `The admin socket ${socketPath} is not a socket (a link, or a file): nothing is forwarded to it.`,
      { socket: socketPath },
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new CusthubError(
      "GENERAL_ERROR",
      `The admin socket ${socketPath} belongs to another user (uid ${stat.uid}): nothing is forwarded to it.`,
      { socket: socketPath, uid: stat.uid },
    );
  }
}

/** Runs `argv` in the server listening on `socketPath`; resolves with the command's exit code. */
export function forwardCommand(
  socketPath: string,
  argv: readonly string[],
  server: { pid: number },
): Promise<number> {
  try {
    checkOwnSocket(socketPath);
  } catch (error) {
    return Promise.reject(error);
  }
  // The server may read the files named on the command line, and no others.
  const named = new Set(argv);
  return new Promise<number>((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const reader = new FrameReader();
    let ended = false;
    let interrupts = 0;
    const onSignal = (): void => {
      interrupts += 1;
      if (interrupts === 1) socket.write(encodeJsonFrame(FRAME.stop, {}));
      else finish(INTERRUPTED);
    };
    const finish = (code: number | Error): void => {
      if (ended) return;
      ended = true;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (code instanceof Error) {
        socket.destroy();
        reject(code);
      } else {
        socket.end();
        resolve(code);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    socket.once("connect", () => {
      const start: StartFrame = {
        argv: [...argv],
        stdout: terminalOf(process.stdout),
        stderr: terminalOf(process.stderr),
      };
      socket.write(encodeJsonFrame(FRAME.start, start));
    });
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const frame of reader.push(chunk)) onFrame(frame);
      } catch (error) {
        finish(toError(error));
      }
    });
    socket.on("error", (error) =>
      finish(
        new CusthubError(
          "GENERAL_ERROR",
          `Could not reach custhub serve (process ${server.pid}) on ${socketPath}: ${error.message}.`,
          { pid: server.pid, socket: socketPath },
          { cause: error },
        ),
      ),
    );
    socket.on("close", () =>
      finish(
        new CusthubError(
          "GENERAL_ERROR",
          `custhub serve (process ${server.pid}) closed the connection before the command ended; ` +
            "what it had done by then stands.",
          { pid: server.pid },
        ),
      ),
    );

    const onFrame = (frame: Frame): void => {
      switch (frame.kind) {
        case FRAME.stdout:
          process.stdout.write(Buffer.from(frame.payload));
          return;
        case FRAME.stderr:
          process.stderr.write(Buffer.from(frame.payload));
          return;
        case FRAME.open: {
          const { id, path } = jsonOf<{ id: number; path: string }>(frame);
          if (named.has(path)) void sendFile(socket, id, path);
          else socket.write(encodeJsonFrame(FRAME.refused, { id, error: notNamed(path) }));
          return;
        }
        case FRAME.ask: {
          const { id, prompt } = jsonOf<{ id: number; prompt: string }>(frame);
          readSecretFromTerminal(prompt).then(
            (value) => socket.write(encodeJsonFrame(FRAME.answer, { id, value })),
            (error: unknown) =>
              socket.write(encodeJsonFrame(FRAME.answer, { id, error: wireErrorOf(error) })),
          );
          return;
        }
        case FRAME.exit: {
          const { code } = jsonOf<{ code: number }>(frame);
          finish(code);
          return;
        }
        default:
          throw new Error(`admin socket: unknown frame kind ${frame.kind}`);
      }
    };
  });
}

function notNamed(path: string): WireError {
  return {
    code: "GENERAL_ERROR",
    message: `The server asked for ${path}, which the command line does not name; it is not sent.`,
    details: { file: path },
  };
}

function terminalOf(stream: NodeJS.WriteStream): StartFrame["stdout"] {
  return stream.isTTY ? { isTTY: true, columns: stream.columns } : { isTTY: false };
}

/** Sends a file the command asked for, chunk by chunk, waiting whenever the socket is full. */
async function sendFile(socket: Socket, id: number, path: string): Promise<void> {
  let stream;
  try {
    stream = openLocalFile(path).stream;
  } catch (error) {
    socket.write(encodeJsonFrame(FRAME.refused, { id, error: wireErrorOf(error) }));
    return;
  }
  socket.write(encodeJsonFrame(FRAME.opened, { id }));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (socket.destroyed) return;
      if (!socket.write(encodeDataFrame(id, chunk))) await drained(socket);
    }
    socket.write(encodeJsonFrame(FRAME.end, { id }));
  } catch (error) {
    if (!socket.destroyed) {
      socket.write(encodeJsonFrame(FRAME.refused, { id, error: wireErrorOf(error) }));
    }
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("drain", done);
    socket.once("close", done);
  });
}
