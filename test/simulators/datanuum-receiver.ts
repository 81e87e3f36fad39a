/**
 * Datanuum's customer API as docs/connectors.md ("Datanuum") defines it from seeds/000: a real
 * HTTP server on 127.0.0.1. `PUT {apiUrl}/customers/{customerCode}` with `X-Api-Key` and a JSON
 * body of exactly the documented fields creates (201) or updates (200) the loyalty customer. It
 * enforces what the far side would: the API key (401), the body's fields, their types and formats
 * (400 naming the field: first and last name required, seeds/000 "basic name fields (name1,
 * name2)"; birth date `yyyy-MM-dd`), and the customer code of the path. It records every request
 * and can be told to answer something else (a 500, a 503 while "down").
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export const DATANUUM_FIELDS = [
  "customerCode",
  "firstName",
  "lastName",
  "gender",
  "birthDate",
  "mobilePhone",
  "emailAddress",
  "nationality",
  "posRegisterCode",
] as const;

export type DatanuumBody = Record<(typeof DATANUUM_FIELDS)[number], string | null>;

export interface DatanuumRequest {
  method: string;
  path: string;
  customerCode: string;
  /** The parsed body, when it was JSON. */
  body: unknown;
  status: number;
  error: string | null;
}

/** What the server does with a well-authenticated request, instead of its checks. */
export type DatanuumOverride = { status: number; body?: string } | undefined;

export class DatanuumReceiver {
  readonly apiKey: string;
  /** Every request, in the order answered. */
  readonly requests: DatanuumRequest[] = [];
  /** The loyalty customers as stored, by customer code. */
  readonly customers = new Map<string, DatanuumBody>();
  /** While true every request gets 503 (the service is down). */
  down = false;

  readonly #sockets = new Set<Socket>();
  #override: (customerCode: string) => DatanuumOverride = () => undefined;
  #baseUrl = "";

  private constructor(
    private readonly server: Server,
    apiKey: string,
  ) {
    this.apiKey = apiKey;
  }

  static async start(options: { apiKey?: string } = {}): Promise<DatanuumReceiver> {
    const server = createServer();
    const receiver = new DatanuumReceiver(
      server,
      options.apiKey ?? `dn-${randomBytes(8).toString("hex")}`,
    );
    server.on("connection", (socket) => {
      receiver.#sockets.add(socket);
      socket.on("close", () => receiver.#sockets.delete(socket));
    });
    server.on("request", (request, response) => {
      receiver.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { errors: [{ message: String(error) }] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The API base URL a reward-points configuration names. */
  get apiUrl(): string {
    return `${this.#baseUrl}/datanuum/api`;
  }

  /** Answer requests for which `decide` gives an answer with it (after the API key check). */
  override(decide: (customerCode: string) => DatanuumOverride): void {
    this.#override = decide;
  }

  /** The requests that stored a customer (200 or 201). */
  get stored(): DatanuumRequest[] {
    return this.requests.filter((request) => request.status === 200 || request.status === 201);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const url = new URL(request.url ?? "/", this.#baseUrl);
    const match = /^\/datanuum\/api\/customers\/([^/]+)$/.exec(url.pathname);
    const customerCode = match ? decodeURIComponent(match[1]!) : "";
    let body: unknown = undefined;
    const answer = (status: number, payload: unknown, error: string | null = null): void => {
      this.requests.push({
        method: request.method ?? "",
        path: url.pathname,
        customerCode,
        body,
        status,
        error,
      });
      send(response, status, payload);
    };
    const refuse = (status: number, field: string | null, message: string): void =>
      answer(status, { errors: [{ field, message }] }, message);

    if (this.down) return refuse(503, null, "service unavailable");
    if (!match) return refuse(404, null, `no route ${url.pathname}`);
    if (request.method !== "PUT") return refuse(405, null, "customers are PUT");
    if (request.headers["x-api-key"] !== this.apiKey) {
      return refuse(401, null, "invalid API key");
    }
    const override = this.#override(customerCode);
    if (override) {
      this.requests.push({
        method: request.method,
        path: url.pathname,
        customerCode,
        body: safeParse(raw),
        status: override.status,
        error: override.body ?? null,
      });
      response.writeHead(override.status, { "content-type": "application/json" });
      response.end(override.body ?? "");
      return;
    }
    if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
      return refuse(415, null, "the body must be application/json");
    }
    body = safeParse(raw);
    const problem = checkBody(body, customerCode);
    if (problem) return refuse(400, problem.field, problem.message);
    const created = !this.customers.has(customerCode);
    this.customers.set(customerCode, body as DatanuumBody);
    answer(created ? 201 : 200, { customerCode, result: created ? "created" : "updated" });
  }
}

function checkBody(body: unknown, customerCode: string): { field: string; message: string } | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { field: "body", message: "the body must be a JSON object" };
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).find(
    (key) => !(DATANUUM_FIELDS as readonly string[]).includes(key),
  );
  if (unknown !== undefined) return { field: unknown, message: `unknown field ${unknown}` };
  for (const field of DATANUUM_FIELDS) {
    if (!(field in record)) return { field, message: `${field} is missing (send null for none)` };
    const value = record[field];
    if (value !== null && typeof value !== "string") {
      return { field, message: `${field} must be a string or null` };
    }
  }
  const text = record as Record<string, string | null>;
  if (text.customerCode !== customerCode) {
    return { field: "customerCode", message: "customerCode differs from the path" };
  }
  for (const field of ["firstName", "lastName"] as const) {
    if (!text[field]) return { field, message: `${field} is required` };
  }
  if (text.gender !== null && text.gender !== "Male" && text.gender !== "Female") {
    return { field: "gender", message: "gender is Male, Female or null" };
  }
  if (text.birthDate !== null && !isRealDate(text.birthDate!)) {
    return { field: "birthDate", message: "birthDate must be yyyy-MM-dd" };
  }
  if (text.emailAddress !== null && !/^[^@\s]+@[^@\s]+$/.test(text.emailAddress!)) {
    return { field: "emailAddress", message: "emailAddress is not an email address" };
  }
  if (text.mobilePhone !== null && !/^\+?[0-9 ()-]{4,}$/.test(text.mobilePhone!)) {
    return { field: "mobilePhone", message: "mobilePhone is not a phone number" };
  }
  if (text.nationality !== null && !/^[A-Z]{2,3}$/.test(text.nationality!)) {
    return { field: "nationality", message: "nationality is an ISO country code" };
  }
  return null;
}

function isRealDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(payload));
}
