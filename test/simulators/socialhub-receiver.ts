/**
 * The far side of the SocialHub connector: "Update Customer Information" (seeds/004) as
 * docs/connectors.md defines it, a real HTTP server on 127.0.0.1. Customers are held in memory
 * and seeded by the test; `PUT /openapi/v1/consumer/updateInfo/{customerCode}` takes the API key
 * in `Authorization` and a body of exactly the document's properties, and refuses what SocialHub
 * would: a wrong key, an unknown customer code, a missing or unknown field, a birthday not in
 * yyyy-MM-dd, a gender or flag out of its codes. Answers are `{code, msg, data}`. It records every
 * request and can be told to answer anything.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readBody, reply } from "./http-reply.js";

const API_ROOT = "/openapi/";
const UPDATE_PATH = /^\/openapi\/v1\/consumer\/updateInfo\/([^/]+)$/;

/** The body's fields and what each must be. */
const FIELDS: Record<string, (value: unknown) => string | null> = {
  email: (value) =>
    typeof value !== "string"
      ? "must be a string"
      : value !== "" && !/^[^@\s]+@[^@\s]+$/.test(value)
        ? "is not an email address"
        : null,
  name: (value) => (typeof value === "string" ? null : "must be a string"),
  gender: (value) => (value === 0 || value === 1 || value === 2 ? null : "must be 0, 1 or 2"),
  birthday: (value) =>
    value === null || (typeof value === "string" && isCalendarDate(value))
      ? null
      : "must be a date in yyyy-MM-dd format, or null",
  postelCode: (value) => (typeof value === "string" ? null : "must be a string"),
  address: (value) => (typeof value === "string" ? null : "must be a string"),
  receiveSmsFlag: (value) => (value === 0 || value === 1 ? null : "must be 0 or 1"),
  receiveEmailFlag: (value) => (value === 0 || value === 1 ? null : "must be 0 or 1"),
  language: (value) => (typeof value === "string" ? null : "must be a string"),
};

export type SocialhubCustomer = Record<string, unknown>;

export interface SocialhubReceiverOptions {
  apiKey?: string;
  /** When refusing a key, repeat it in the error (a careless real server). */
  echoCredentialsInErrors?: boolean;
}

export interface SocialhubRequest {
  customerCode: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  status: number;
  code: string;
}

/** A forced answer: its status, body and extra headers (`retry-after`, say). */
type Forced = { status: number; body?: unknown; headers?: Record<string, string> };

export class SocialhubReceiver {
  readonly apiKey: string;
  /** Every request, in order, with what it was answered. */
  readonly requests: SocialhubRequest[] = [];
  readonly #customers = new Map<string, SocialhubCustomer>();
  readonly #sockets = new Set<Socket>();
  readonly #echoCredentials: boolean;
  #decide: (request: { customerCode: string; body: unknown }) => Forced | undefined = () =>
    undefined;
  #origin = "";

  private constructor(
    private readonly server: Server,
    options: SocialhubReceiverOptions,
  ) {
    this.apiKey = options.apiKey ?? `sh-${randomBytes(12).toString("hex")}`;
    this.#echoCredentials = options.echoCredentialsInErrors ?? false;
  }

  static async start(options: SocialhubReceiverOptions = {}): Promise<SocialhubReceiver> {
    const server = createServer();
    const receiver = new SocialhubReceiver(server, options);
    server.on("connection", (socket) => {
      receiver.#sockets.add(socket);
      socket.on("close", () => receiver.#sockets.delete(socket));
    });
    server.on("request", (request, response) => {
      receiver.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent) reply(response, 500, { code: "500", msg: String(error) });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The open API root the connector's `baseUrl` setting names. */
  get baseUrl(): string {
    return `${this.#origin}${API_ROOT}`;
  }

  /** A customer SocialHub knows, with what it holds for them. */
  seed(customerCode: string, customer: SocialhubCustomer = {}): void {
    this.#customers.set(customerCode, { ...customer });
  }

  customer(customerCode: string): SocialhubCustomer | undefined {
    const customer = this.#customers.get(customerCode);
    return customer && { ...customer };
  }

  /** Answers matching requests as told (`undefined`: serve them). */
  respondWith(
    decide: (request: { customerCode: string; body: unknown }) => Forced | undefined,
  ): void {
    this.#decide = decide;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const path = (request.url ?? "").split("?")[0] ?? "";
    const encodedCode = UPDATE_PATH.exec(path)?.[1];
    const customerCode = encodedCode === undefined ? "" : decodeURIComponent(encodedCode);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = (status: number, code: string, msg: string, data: unknown = null): void => {
      this.requests.push({ customerCode, body, status, code });
      reply(response, status, { code, msg, data });
    };
    if (encodedCode === undefined) return answer(404, "404", `no operation at ${path}`);
    if (request.method !== "PUT") return answer(405, "405", "PUT only");
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim();
    if (contentType !== "application/json") {
      return answer(415, "415", "the body must be application/json");
    }
    const presented = request.headers.authorization ?? "";
    if (presented !== this.apiKey) {
      const msg = this.#echoCredentials ? `api key ${presented} is not valid` : "invalid api key";
      return answer(401, "401", msg);
    }
    const forced = this.#decide({ customerCode, body });
    if (forced) {
      this.requests.push({
        customerCode,
        body,
        status: forced.status,
        code: String(forced.status),
      });
      return reply(
        response,
        forced.status,
        forced.body ?? {
          code: String(forced.status),
          msg: `told to answer ${forced.status}`,
          data: null,
        },
        forced.headers,
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return answer(400, "400", "the body is not a JSON object");
    }
    const fields = body as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!(key in FIELDS)) return answer(400, "400", `unknown field ${key}`);
    }
    for (const [key, check] of Object.entries(FIELDS)) {
      if (!(key in fields)) return answer(400, "400", `${key} is required`);
      const problem = check(fields[key]);
      if (problem) return answer(400, "400", `${key} ${problem}`);
    }
    const customer = this.#customers.get(customerCode);
    if (!customer) return answer(404, "404", `customer ${customerCode} not found`);
    Object.assign(customer, fields);
    answer(200, "200", "success", { consumerCode: customerCode });
  }
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}
