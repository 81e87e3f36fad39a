/**
 * How long a request's body may take to arrive. Node bounds the headers (60 s); Fastify sets no
 * bound on the body (its `requestTimeout` is 0), so a client that sends its headers and then
 * nothing, or a byte now and then, would hold its connection, and a shutdown, for as long as it
 * liked. Node's own `requestTimeout` bounds the whole request, which would cut an import's upload,
 * however large, at one fixed time: these bounds look at the bytes arriving instead.
 *
 * A body is cut (`408`, the connection closed) when it sends nothing for `idleMs`; when, once
 * `slowAfterMs` have passed, it has arrived slower on average than `minBytesPerSecond`; and, when
 * the server closes (after the work in hand), when it is still arriving `closingGraceMs` later.
 * Node bounds a request's headers (60 s, looked at every 30 s) only while the server listens: a
 * connection still sending its headers when the server closes is closed `closingGraceMs` later too,
 * else a client that never ends its headers would hold the close for as long as it liked.
 * A request whose body was cut has its handler end as for a client that went away (an import is
 * recorded as a file that could not be received); the server's close waits for those handlers
 * before it resolves, so that they end before the database closes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

export interface BodyDeadlines {
  /** A body that sends nothing for this long is cut. */
  idleMs: number;
  /** From this long after its headers, a body arriving slower than `minBytesPerSecond` is cut. */
  slowAfterMs: number;
  /** The least average rate a body must keep from `slowAfterMs` on. */
  minBytesPerSecond: number;
  /** Bodies still arriving this long after the server began to close are cut. */
  closingGraceMs: number;
  /** How often the bodies arriving are looked at. */
  checkEveryMs: number;
}

export const BODY_DEADLINES: BodyDeadlines = {
  idleMs: 30_000,
  slowAfterMs: 60_000,
  minBytesPerSecond: 16 * 1024,
  closingGraceMs: 10_000,
  checkEveryMs: 1_000,
};

interface Arriving {
  id: string;
  raw: IncomingMessage;
  response: ServerResponse;
  startedAt: number;
  /** The socket's bytes read when the headers were in (a body's bytes are counted from there). */
  startBytes: number;
  lastBytes: number;
  lastArrivedAt: number;
}

const REQUEST_TIMEOUT =
  "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/** Whether the request says it has a body (a length above 0, or chunks). */
const hasBody = (raw: IncomingMessage): boolean =>
  raw.headers["transfer-encoding"] !== undefined || Number(raw.headers["content-length"] ?? 0) > 0;

export function installBodyDeadlines(app: FastifyInstance, deadlines: BodyDeadlines): void {
  const arriving = new Set<Arriving>();
  let timer: NodeJS.Timeout | undefined;
  let closingSince: number | undefined;
  /** The handlers running now, and who waits for them to be none. */
  let handling = 0;
  let idle: (() => void) | undefined;
  /** Every open connection, with how many of its requests are in hand (headers in, not answered). */
  const connections = new Map<Socket, number>();
  app.server.on("connection", (socket: Socket) => {
    connections.set(socket, 0);
    socket.once("close", () => connections.delete(socket));
  });

  const cut = (body: Arriving, reason: string, now: number): void => {
    arriving.delete(body);
    const { socket } = body.raw;
    app.log.warn(
      {
        reqId: body.id,
        reason,
        receivedBytes: socket.bytesRead - body.startBytes,
        seconds: Math.round((now - body.startedAt) / 1000),
      },
      "request body cut: it did not arrive in time",
    );
    // As Node answers a request over its own timeout: the answer, if none began, then the close.
    if (!socket.destroyed && !body.response.headersSent) socket.write(REQUEST_TIMEOUT);
    socket.destroy();
  };

  const check = (): void => {
    const now = Date.now();
    for (const body of arriving) {
      const { raw } = body;
      if (raw.complete || raw.socket.destroyed) {
        arriving.delete(body);
        continue;
      }
      const bytes = raw.socket.bytesRead;
      if (bytes !== body.lastBytes) {
        body.lastBytes = bytes;
        body.lastArrivedAt = now;
      }
      const elapsed = now - body.startedAt;
      if (closingSince !== undefined && now - closingSince >= deadlines.closingGraceMs) {
        cut(body, "still arriving as the server closes", now);
      } else if (now - body.lastArrivedAt >= deadlines.idleMs) {
        cut(body, "nothing arrived", now);
      } else if (
        elapsed >= deadlines.slowAfterMs &&
        ((bytes - body.startBytes) * 1000) / elapsed < deadlines.minBytesPerSecond
      ) {
        cut(body, "arriving too slowly", now);
      }
    }
    if (closingSince !== undefined && now - closingSince >= deadlines.closingGraceMs) {
      // Idle connections were closed with the listener, and each answer sent while closing
      // closes its own: one left with no request in hand is still sending a request's headers.
      for (const [socket, inHand] of connections) {
        if (inHand > 0 || socket.destroyed) continue;
        connections.delete(socket);
        app.log.warn(
          {
            receivedBytes: socket.bytesRead,
            reason: "request headers still arriving as the server closes",
          },
          "connection closed: its request did not arrive in time",
        );
        socket.write(REQUEST_TIMEOUT);
        socket.destroy();
      }
    }
    if (arriving.size === 0 && closingSince === undefined && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  // Every route's handler is counted while it runs, so that the close can wait for the ones
  // whose bodies were cut: a client gone, their work (recording why) goes on.
  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    route.handler = async function (this: FastifyInstance, request, reply) {
      handling += 1;
      try {
        return await handler.call(this, request, reply);
      } finally {
        handling -= 1;
        if (handling === 0) idle?.();
      }
    };
  });

  app.addHook("onRequest", (request, reply, done) => {
    const { raw } = request;
    const { socket } = raw;
    const inHand = connections.get(socket);
    if (inHand !== undefined) {
      connections.set(socket, inHand + 1);
      reply.raw.once("close", () => {
        const count = connections.get(socket);
        if (count !== undefined) connections.set(socket, count - 1);
      });
    }
    if (!raw.complete && hasBody(raw)) {
      const now = Date.now();
      const bytes = raw.socket.bytesRead;
      arriving.add({
        id: request.id,
        raw,
        response: reply.raw,
        startedAt: now,
        startBytes: bytes,
        lastBytes: bytes,
        lastArrivedAt: now,
      });
      timer ??= setInterval(check, deadlines.checkEveryMs).unref();
    }
    done();
  });

  // A request in hand as the server closes is answered on a connection then closed: kept alive,
  // it would hold the close until the client (or the keep-alive timeout, 72 s) ended it.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closingSince !== undefined) void reply.header("connection", "close");
    done(null, payload);
  });

  app.addHook("preClose", (done) => {
    closingSince = Date.now();
    timer ??= setInterval(check, deadlines.checkEveryMs).unref();
    done();
  });

  app.addHook("onClose", async () => {
    if (handling > 0) await new Promise<void>((resolve) => (idle = resolve));
    idle = undefined;
    if (timer) clearInterval(timer);
    timer = undefined;
  });
}
