/** A client that sends a request's headers and then its body slowly, or never. */
import { connect, type Socket } from "node:net";

/**
 * Opens a connection to `base` and sends `POST path` with headers announcing a body of 1000
 * bytes, then `start` of it, and nothing more (the caller may `write` more on `socket`). Resolves
 * once the bytes are sent; `closed` says when the server ended the connection, and what it
 * answered before.
 */
export async function stalledBody(
  base: string,
  path: string,
  headers: Record<string, string>,
  start: string,
): Promise<{ socket: Socket; closed: Promise<string> }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  let answered = "";
  socket.on("data", (chunk: Buffer) => (answered += chunk.toString("utf8")));
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(answered)));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const head = Object.entries({ host: url.host, "content-length": "1000", ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  await new Promise<void>((resolve, reject) =>
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${start}`, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return { socket, closed };
}
