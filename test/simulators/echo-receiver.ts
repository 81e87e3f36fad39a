/**
 * The most careless far side there is: a real HTTP server on 127.0.0.1 that refuses every request
 * and repeats the whole request in its answer (method, path, headers, body), the way a debugging
 * endpoint or a verbose error page does. Any destination can be pointed at it. Its `/token` path
 * is an OAuth2 token endpoint that grants `token`, or refuses with the request's Authorization
 * header and form repeated.
 * What custhub does with such an answer (logs, run records, replies) is the question it asks.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody, reply } from "./http-reply.js";

export class EchoReceiver {
  /** What every path but `/token` answers. */
  status = 500;
  /** What `/token` answers: 200 grants `token`, anything else refuses repeating the form. */
  tokenStatus = 200;
  /** Requests taken, in order. */
  readonly requests: { method: string; path: string; body: string }[] = [];
  #server: Server | undefined;
  #base = "";

  constructor(readonly token: string) {}

  get url(): string {
    return this.#base;
  }

  get tokenUrl(): string {
    return `${this.#base}/token`;
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const path = request.url ?? "/";
        this.requests.push({ method: request.method ?? "", path, body });
        const echo = { method: request.method, path, headers: request.headers, body };
        if (path === "/token" && this.tokenStatus === 200) {
          return reply(response, 200, {
            access_token: this.token,
            token_type: "Bearer",
            expires_in: 3600,
          });
        }
        if (path === "/token") {
          // RFC 6749 5.2's fields, the description repeating how the client authenticated.
          return reply(response, this.tokenStatus, {
            error: "invalid_client",
            error_description: `not ${request.headers.authorization ?? "(no header)"} with ${body}`,
          });
        }
        reply(response, this.status, { error: `refused: ${JSON.stringify(echo)}`, echo });
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#base = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
