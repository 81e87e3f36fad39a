/**
 * The far side of the NewBase connector: the NewBase API as docs/connectors.md defines it from
 * seeds/002, a real HTTP server on 127.0.0.1. Its tables (contact, organisation, debtor, person,
 * address, reachability) are held in memory and seeded by the test; it answers
 * `POST /newbase/api/v1/{table}/query` and `.../{table}/update` behind HTTP Basic
 * authentication, and refuses what the real service would: unknown tables, columns and ids,
 * writes to key columns, a language that is not lower case, a country that is not an ISO code.
 * It records every request and can be told to answer anything.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readBody, reply } from "./http-reply.js";

export type NewbaseTable =
  "contact" | "organisation" | "debtor" | "person" | "address" | "reachability";

export type Value = string | number | null;
export type Row = Record<string, Value>;

/** Each table's key column and columns (docs/connectors.md). */
const SCHEMA: Record<NewbaseTable, { key: string; columns: readonly string[] }> = {
  contact: { key: "k_contact_id", columns: ["k_organisation_id", "k_person_id", "serial"] },
  organisation: { key: "k_organisation_id", columns: ["name"] },
  debtor: {
    key: "k_debtor_id",
    columns: ["k_organisation_id", "vat_number", "coc_number", "language"],
  },
  person: { key: "k_person_id", columns: ["first_name", "last_name", "language"] },
  address: {
    key: "k_address_id",
    columns: [
      "k_organisation_id",
      "k_person_id",
      "type_address",
      "street",
      "house_number",
      "city",
      "postcode",
      "iso_country",
    ],
  },
  reachability: {
    key: "k_reachability_id",
    columns: [
      "k_organisation_id",
      "k_person_id",
      "k_contact_id",
      "type_reachability",
      "reachability",
    ],
  },
};

const API_ROOT = "/newbase/api/v1/";

export interface NewbaseReceiverOptions {
  username?: string;
  password?: string;
  /** Columns a deployment added (free fields), per table, beside the standard ones. */
  extraColumns?: Partial<Record<NewbaseTable, readonly string[]>>;
  /** When refusing credentials, repeat them in the error (a careless real server). */
  echoCredentialsInErrors?: boolean;
}

export interface NewbaseRequest {
  table: string;
  operation: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  status: number;
}

/** A customer as NewBase holds it, for `seedCustomer`. */
export interface SeedCustomer {
  serial: string;
  organisation?: Row;
  /** null: the contact has no person. */
  person?: Row | null;
  /** null: the organisation has no debtor. */
  debtor?: Row | null;
  /** null: no such address record. */
  visitAddress?: Row | null;
  deliveryAddress?: Row | null;
  /** type_reachability -> value, held by the contact (phone, email) or the person (mobile, fax). */
  contactReachabilities?: Record<string, string>;
  personReachabilities?: Record<string, string>;
}

export interface SeededIds {
  contact: number;
  organisation: number;
  person: number | null;
  debtor: number | null;
  visitAddress: number | null;
  deliveryAddress: number | null;
  /** By type_reachability. */
  contactReachabilities: Record<string, number>;
  personReachabilities: Record<string, number>;
}

/** A forced answer: its status, body and extra headers (`retry-after`, say). */
type Forced = { status: number; body?: string; headers?: Record<string, string> };

export class NewbaseReceiver {
  readonly username: string;
  readonly password: string;
  /** Every request, in order, with the status it was answered. */
  readonly requests: NewbaseRequest[] = [];
  readonly #tables = new Map<NewbaseTable, Map<number, Row>>();
  readonly #columns = new Map<NewbaseTable, Set<string>>();
  readonly #sockets = new Set<Socket>();
  readonly #echoCredentials: boolean;
  #nextId = 100;
  #decide: (request: { table: string; operation: string; body: unknown }) => Forced | undefined =
    () => undefined;
  #origin = "";

  private constructor(
    private readonly server: Server,
    options: NewbaseReceiverOptions,
  ) {
    this.username = options.username ?? "custhub";
    this.password = options.password ?? `nb-${randomBytes(8).toString("hex")}`;
    this.#echoCredentials = options.echoCredentialsInErrors ?? false;
    for (const [table, { key, columns }] of Object.entries(SCHEMA) as [
      NewbaseTable,
      (typeof SCHEMA)[NewbaseTable],
    ][]) {
      this.#tables.set(table, new Map());
      this.#columns.set(
        table,
        new Set([key, ...columns, ...(options.extraColumns?.[table] ?? [])]),
      );
    }
  }

  static async start(options: NewbaseReceiverOptions = {}): Promise<NewbaseReceiver> {
    const server = createServer();
    const receiver = new NewbaseReceiver(server, options);
    server.on("connection", (socket) => {
      receiver.#sockets.add(socket);
      socket.on("close", () => receiver.#sockets.delete(socket));
    });
    server.on("request", (request, response) => {
      receiver.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent) reply(response, 500, failure("INTERNAL", String(error)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The API root the connector's `baseUrl` setting names. */
  get baseUrl(): string {
    return `${this.#origin}${API_ROOT}`;
  }

  /** Answers matching requests as told (`undefined`: serve them). */
  respondWith(
    decide: (request: { table: string; operation: string; body: unknown }) => Forced | undefined,
  ): void {
    this.#decide = decide;
  }

  /** Adds a record; returns its key. */
  insert(table: NewbaseTable, values: Row): number {
    const id = this.#nextId++;
    const row: Row = {};
    for (const column of this.#columns.get(table)!) row[column] = null;
    Object.assign(row, values, { [SCHEMA[table].key]: id });
    this.#tables.get(table)!.set(id, row);
    return id;
  }

  /** A customer's records as NewBase would hold them, linked by their keys. */
  seedCustomer(seed: SeedCustomer): SeededIds {
    const organisation = this.insert("organisation", { name: "Seeded org", ...seed.organisation });
    const person =
      seed.person === null ? null : this.insert("person", { first_name: "Seeded", ...seed.person });
    const contact = this.insert("contact", {
      serial: seed.serial,
      k_organisation_id: organisation,
      k_person_id: person,
    });
    const debtor =
      seed.debtor === null
        ? null
        : this.insert("debtor", { k_organisation_id: organisation, ...seed.debtor });
    const visitAddress =
      seed.visitAddress === null || person === null
        ? null
        : this.insert("address", {
            k_person_id: person,
            type_address: "visit",
            ...seed.visitAddress,
          });
    const deliveryAddress =
      seed.deliveryAddress === null
        ? null
        : this.insert("address", {
            k_organisation_id: organisation,
            type_address: "delivery",
            ...seed.deliveryAddress,
          });
    const reachabilities = (
      owner: "k_contact_id" | "k_person_id",
      id: number | null,
      values: Record<string, string> = {},
    ): Record<string, number> => {
      const ids: Record<string, number> = {};
      if (id === null) return ids;
      for (const [type, value] of Object.entries(values)) {
        ids[type] = this.insert("reachability", {
          [owner]: id,
          type_reachability: type,
          reachability: value,
        });
      }
      return ids;
    };
    return {
      contact,
      organisation,
      person,
      debtor,
      visitAddress,
      deliveryAddress,
      contactReachabilities: reachabilities("k_contact_id", contact, seed.contactReachabilities),
      personReachabilities: reachabilities("k_person_id", person, seed.personReachabilities),
    };
  }

  /** A record as it is now. */
  row(table: NewbaseTable, id: number): Row | undefined {
    const row = this.#tables.get(table)!.get(id);
    return row && { ...row };
  }

  /** The update requests answered 200, in order. */
  get updates(): { table: string; id: number; values: Record<string, string> }[] {
    return this.requests
      .filter((request) => request.operation === "update" && request.status === 200)
      .map((request) => ({
        table: request.table,
        ...(request.body as { id: number; values: Record<string, string> }),
      }));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const path = (request.url ?? "").split("?")[0] ?? "";
    const [table = "", operation = ""] = path.startsWith(API_ROOT)
      ? path.slice(API_ROOT.length).split("/")
      : [];
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = (status: number, payload: unknown): void => {
      this.requests.push({ table, operation, body, status });
      reply(response, status, payload);
    };
    if (request.method !== "POST") return answer(405, failure("METHOD_NOT_ALLOWED", "POST only"));
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim();
    if (contentType !== "application/json") {
      return answer(415, failure("UNSUPPORTED_MEDIA_TYPE", "the body must be application/json"));
    }
    const presented = basicCredentials(request.headers.authorization);
    if (presented?.username !== this.username || presented.password !== this.password) {
      response.setHeader("www-authenticate", 'Basic realm="NewBase"');
      const message = this.#echoCredentials
        ? `user ${presented?.username ?? ""} with password ${presented?.password ?? ""} refused`
        : "invalid credentials";
      return answer(401, failure("UNAUTHORIZED", message));
    }
    const forced = this.#decide({ table, operation, body });
    if (forced) {
      this.requests.push({ table, operation, body, status: forced.status });
      return reply(
        response,
        forced.status,
        forced.body ?? failure("FORCED", `told to answer ${forced.status}`),
        forced.headers,
      );
    }
    if (!(table in SCHEMA)) return answer(404, failure("UNKNOWN_TABLE", `no table ${table}`));
    if (body === undefined || typeof body !== "object" || body === null || Array.isArray(body)) {
      return answer(400, failure("INVALID_REQUEST", "the body is not a JSON object"));
    }
    const result =
      operation === "query"
        ? this.#query(table as NewbaseTable, body as Record<string, unknown>)
        : operation === "update"
          ? this.#update(table as NewbaseTable, body as Record<string, unknown>)
          : { status: 404, payload: failure("UNKNOWN_OPERATION", `no operation ${operation}`) };
    answer(result.status, result.payload);
  }

  #query(table: NewbaseTable, body: Record<string, unknown>): { status: number; payload: unknown } {
    const known = this.#columns.get(table)!;
    const keys = Object.keys(body).sort().join(",");
    if (keys !== "fields,filter") {
      return bad("INVALID_REQUEST", `a query has filter and fields, not ${keys}`);
    }
    const { filter, fields } = body as { filter: unknown; fields: unknown };
    if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
      return bad("INVALID_REQUEST", "filter must be an object");
    }
    const conditions = Object.entries(filter);
    if (conditions.length === 0) return bad("INVALID_REQUEST", "filter must name a column");
    for (const [column, value] of conditions) {
      if (!known.has(column)) return bad("UNKNOWN_COLUMN", `${table} has no column ${column}`);
      if (typeof value !== "string" && typeof value !== "number") {
        return bad("INVALID_REQUEST", `filter ${column} must be a string or a number`);
      }
    }
    if (
      !Array.isArray(fields) ||
      fields.length === 0 ||
      fields.some((f) => typeof f !== "string")
    ) {
      return bad("INVALID_REQUEST", "fields must be a non-empty array of column names");
    }
    for (const field of fields as string[]) {
      if (!known.has(field)) return bad("UNKNOWN_COLUMN", `${table} has no column ${field}`);
    }
    const rows = [...this.#tables.get(table)!.values()]
      .filter((row) => conditions.every(([column, value]) => row[column] === value))
      .map((row) =>
        Object.fromEntries((fields as string[]).map((field) => [field, row[field] ?? null])),
      );
    return { status: 200, payload: { rows } };
  }

  #update(
    table: NewbaseTable,
    body: Record<string, unknown>,
  ): { status: number; payload: unknown } {
    const known = this.#columns.get(table)!;
    const keys = Object.keys(body).sort().join(",");
    if (keys !== "id,values")
      return bad("INVALID_REQUEST", `an update has id and values, not ${keys}`);
    const { id, values } = body as { id: unknown; values: unknown };
    if (typeof id !== "number" || !Number.isInteger(id)) {
      return bad("INVALID_REQUEST", "id must be an integer");
    }
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
      return bad("INVALID_REQUEST", "values must be an object");
    }
    const entries = Object.entries(values);
    if (entries.length === 0) return bad("INVALID_REQUEST", "values must name a column");
    for (const [column, value] of entries) {
      if (!known.has(column)) return bad("UNKNOWN_COLUMN", `${table} has no column ${column}`);
      if (column.startsWith("k_")) return bad("READ_ONLY_COLUMN", `${column} is a key`);
      if (typeof value !== "string") return bad("INVALID_VALUE", `${column} must be a string`);
      const problem = valueProblem(column, value);
      if (problem) return bad("INVALID_VALUE", `${column}: ${problem}`);
    }
    const row = this.#tables.get(table)!.get(id);
    if (!row) {
      return {
        status: 404,
        payload: failure("NOT_FOUND", `no ${table} with ${SCHEMA[table].key} ${id}`),
      };
    }
    Object.assign(row, values);
    return { status: 200, payload: { updated: 1 } };
  }
}

/** Why NewBase would refuse a column's value, or null. */
function valueProblem(column: string, value: string): string | null {
  if (column === "language" && !/^[a-z]{2,3}(-[a-z0-9]+)?$/.test(value)) {
    return "a language code in lower case (nl, en, fr-be)";
  }
  if (column === "iso_country" && !/^[A-Z]{2}$/.test(value)) {
    return "an ISO 3166 alpha-2 country code";
  }
  return null;
}

function bad(code: string, message: string): { status: number; payload: unknown } {
  return { status: 400, payload: failure(code, message) };
}

function failure(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const encoded = /^Basic (\S+)$/.exec(header ?? "")?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
