/**
 * The far side of the data sync, as a third party would build it from seeds/001 alone: a real
 * HTTP server on 127.0.0.1 with an OAuth2 token endpoint (client credentials) and the messages
 * endpoint. It checks what the document promises ("a POST method with CONTENT-TYPE:
 * application/json", OAuth 2.0 bearer tokens, the `{"messages":[{action, payload, type,
 * uniqueId}]}` body of Table H-5) and refuses anything else with 4xx and a reason. It records what
 * it took, and can be told to answer 500, hang, drop the connection, hold an answer back, or
 * expire every token it issued.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readBody, reply } from "./http-reply.js";

export type ClientAuthentication = "basic" | "body" | "either";

export interface ReceiverOptions {
  clientId?: string;
  clientSecret?: string;
  /** How the token endpoint takes client credentials (RFC 6749 2.3.1); default either. */
  clientAuthentication?: ClientAuthentication;
  tokenLifetimeSeconds?: number;
  /** Keep each accepted message's payload (tests); benchmarks keep ids and times only. */
  keepPayloads?: boolean;
  /** When refusing client credentials, repeat them in the error (a careless real server). */
  echoCredentialsInErrors?: boolean;
  /** Repeat the bearer token presented in every answer of the messages endpoint (careless too). */
  echoTokens?: boolean;
  /**
   * `full` (default) parses every payload as a receiver storing it would. `shallow` checks its
   * shape and reads the customer without parsing it whole: benchmarks use it so the simulator's
   * own cost does not crowd out the sender being measured on a small machine.
   */
  payloadCheck?: "full" | "shallow";
}

/** What the messages endpoint does with a message. */
export type Behaviour =
  | "accept"
  | "hang"
  | "drop"
  /** Answer `status`, with `body` (default a JSON error) and `headers` (`retry-after`, say). */
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Answer when the promise settles, with what it gives. */
  | { later: Promise<Behaviour> };

export interface ReceivedMessage {
  uniqueId: string;
  type: string;
  action: string;
  /** The payload string; empty when payloads are not kept. */
  payload: string;
  /** The customer (customerID, or a transaction's customerId); "" for the sample. */
  key: string;
  idempotencyKey: string | undefined;
  receivedAt: number;
}

export interface TokenRequest {
  authentication: "basic" | "body" | "none";
  granted: boolean;
}

const MESSAGE_FORMS: Record<string, readonly string[]> = {
  CUSTOMER: ["CUSTOMERCRE", "CUSTOMERMOD", "CUSTOMERDEL"],
  POSTRN: ["POSTRNCRE"],
};

export class DataSyncReceiver {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Messages answered 200, in the order they were answered. */
  readonly accepted: ReceivedMessage[] = [];
  /** Every well-formed message request and what it was answered (status, or hang/drop). */
  readonly answered: { uniqueId: string; key: string; outcome: number | "hang" | "drop" }[] = [];
  /** Requests refused for breaking the protocol: bad method, type, token or body. */
  readonly rejections: { status: number; reason: string }[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  /** Every access token issued, in order. */
  readonly issuedTokens: string[] = [];
  /** Messages taken and not answered yet (held back, or hanging). */
  readonly inFlight: ReceivedMessage[] = [];
  /** Milliseconds every message answer waits (slows the receiver down). */
  delayMs = 0;

  readonly #options: Required<Omit<ReceiverOptions, "clientId" | "clientSecret">>;
  readonly #tokens = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  #decide: (message: ReceivedMessage) => Behaviour | undefined = () => undefined;
  #baseUrl = "";

  private constructor(
    private readonly server: Server,
    options: ReceiverOptions,
  ) {
    this.clientId = options.clientId ?? "custhub-client";
    this.clientSecret = options.clientSecret ?? `s3cret-${randomBytes(8).toString("hex")}`;
    this.#options = {
      clientAuthentication: options.clientAuthentication ?? "either",
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
      keepPayloads: options.keepPayloads ?? true,
      echoCredentialsInErrors: options.echoCredentialsInErrors ?? false,
      echoTokens: options.echoTokens ?? false,
      payloadCheck: options.payloadCheck ?? "full",
    };
  }

  static async start(options: ReceiverOptions = {}): Promise<DataSyncReceiver> {
    const server = createServer();
    const receiver = new DataSyncReceiver(server, options);
    server.on("connection", (socket) => {
      receiver.#sockets.add(socket);
      socket.on("close", () => receiver.#sockets.delete(socket));
    });
    server.on("request", (request, response) => {
      receiver.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent) reply(response, 500, { error: String(error) });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return receiver;
  }

  get tokenUrl(): string {
    return `${this.#baseUrl}/oauth2/token`;
  }

  get messagesUrl(): string {
    return `${this.#baseUrl}/datasync/messages`;
  }

  /** Decides each message's fate; `undefined` accepts it. */
  respondWith(decide: (message: ReceivedMessage) => Behaviour | undefined): void {
    this.#decide = decide;
  }

  /** Every token issued so far stops working, as if it had expired. */
  expireTokens(): void {
    this.#tokens.clear();
  }

  /** The accepted messages of one customer, in order. */
  acceptedFor(key: string): ReceivedMessage[] {
    return this.accepted.filter((message) => message.key === key);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "").split("?")[0];
    if (path === "/oauth2/token") return this.#token(request, response);
    if (path === "/datasync/messages") return this.#messages(request, response);
    reply(response, 404, { error: "not_found" });
  }

  async #token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== "POST") return this.#reject(response, 405, "token: POST only");
    if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return this.#reject(response, 400, "token: the grant must be form-encoded");
    }
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") {
      return reply(response, 400, { error: "unsupported_grant_type" });
    }
    const presented = clientCredentialsOf(request, form);
    const mode = this.#options.clientAuthentication;
    const methodAllowed = mode === "either" || presented.authentication === mode;
    const granted =
      methodAllowed &&
      presented.clientId === this.clientId &&
      presented.clientSecret === this.clientSecret;
    this.tokenRequests.push({ authentication: presented.authentication, granted });
    if (!granted) {
      const description = this.#options.echoCredentialsInErrors
        ? `client ${presented.clientId ?? ""} with secret ${presented.clientSecret ?? ""} refused`
        : "client authentication failed";
      return reply(response, 401, { error: "invalid_client", error_description: description });
    }
    const token = randomBytes(16).toString("hex");
    this.issuedTokens.push(token);
    this.#tokens.set(token, Date.now() + this.#options.tokenLifetimeSeconds * 1000);
    reply(response, 200, {
      access_token: token,
      token_type: "Bearer",
      expires_in: this.#options.tokenLifetimeSeconds,
    });
  }

  async #messages(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== "POST") return this.#reject(response, 405, "messages: POST only");
    const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim();
    if (contentType !== "application/json") {
      return this.#reject(response, 415, `messages: content type ${contentType ?? "none"}`);
    }
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
    const expiresAt = token === undefined ? undefined : this.#tokens.get(token);
    const echo = this.#options.echoTokens && token !== undefined ? ` (token ${token})` : "";
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      response.setHeader("www-authenticate", 'Bearer error="invalid_token"');
      return this.#reject(response, 401, `messages: no valid bearer token${echo}`);
    }
    const parsed = parseMessages(body, this.#options.payloadCheck);
    if (typeof parsed === "string") return this.#reject(response, 400, parsed);
    const idempotencyKey = request.headers["idempotency-key"];
    const received = parsed.map((message) => ({
      ...message,
      payload: this.#options.keepPayloads ? message.payload : "",
      idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : undefined,
      receivedAt: Date.now(),
    }));
    let behaviour: Behaviour = "accept";
    for (const message of received) {
      const decided = this.#decide(message);
      if (decided !== undefined && decided !== "accept") behaviour = decided;
    }
    this.inFlight.push(...received);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    await this.#answer(response, received, behaviour, echo);
    if (behaviour !== "hang") {
      for (const message of received) this.inFlight.splice(this.inFlight.indexOf(message), 1);
    }
  }

  async #answer(
    response: ServerResponse,
    messages: ReceivedMessage[],
    behaviour: Behaviour,
    echo = "",
  ): Promise<void> {
    const record = (outcome: number | "hang" | "drop"): void => {
      for (const message of messages) {
        this.answered.push({ uniqueId: message.uniqueId, key: message.key, outcome });
      }
    };
    if (typeof behaviour === "object" && "later" in behaviour) {
      return this.#answer(response, messages, await behaviour.later, echo);
    }
    if (behaviour === "hang") return record("hang");
    if (behaviour === "drop") {
      record("drop");
      response.socket?.destroy();
      return;
    }
    if (behaviour === "accept") {
      record(200);
      for (const message of messages) message.receivedAt = Date.now();
      this.accepted.push(...messages);
      return reply(response, 200, { status: `received${echo}` });
    }
    record(behaviour.status);
    reply(
      response,
      behaviour.status,
      behaviour.body ?? { error: `told to answer ${behaviour.status}${echo}` },
      behaviour.headers,
    );
  }

  #reject(response: ServerResponse, status: number, reason: string): void {
    this.rejections.push({ status, reason });
    reply(response, status, { error: reason });
  }
}

function clientCredentialsOf(
  request: IncomingMessage,
  form: URLSearchParams,
): { authentication: TokenRequest["authentication"]; clientId?: string; clientSecret?: string } {
  const basic = /^Basic (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return {
      authentication: "basic",
      clientId: decodeURIComponent(decoded.slice(0, colon)),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  }
  const clientId = form.get("client_id");
  const clientSecret = form.get("client_secret");
  if (clientId !== null && clientSecret !== null) {
    return { authentication: "body", clientId, clientSecret };
  }
  return { authentication: "none" };
}

/** The body's messages, or why the body is not what seeds/001 describes. */
function parseMessages(
  body: string,
  payloadCheck: "full" | "shallow",
): Omit<ReceivedMessage, "idempotencyKey" | "receivedAt">[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "messages: the body is not JSON";
  }
  const messages = (parsed as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: no "messages" array';
  const result: Omit<ReceivedMessage, "idempotencyKey" | "receivedAt">[] = [];
  for (const message of messages as unknown[]) {
    if (typeof message !== "object" || message === null)
      return "messages: a message is not an object";
    const keys = Object.keys(message).sort().join(",");
    if (keys !== "action,payload,type,uniqueId")
      return `messages: a message has the fields ${keys}`;
    const { action, payload, type, uniqueId } = message as Record<string, unknown>;
    if (typeof type !== "string" || !MESSAGE_FORMS[type])
      return `messages: unknown type ${String(type)}`;
    if (typeof action !== "string" || !MESSAGE_FORMS[type]!.includes(action)) {
      return `messages: action ${String(action)} is not one of type ${type}`;
    }
    if (typeof payload !== "string") return "messages: the payload is not a string";
    if (typeof uniqueId !== "string" || uniqueId === "") return "messages: no uniqueId";
    const key =
      payloadCheck === "full"
        ? payloadKey(type, action, payload, uniqueId)
        : shallowPayloadKey(type, action, payload, uniqueId);
    if (key === null) return `messages: the ${action} payload is not what Table H-5 says`;
    result.push({ action, payload, type, uniqueId, key });
  }
  return result;
}

/** `payloadKey` without parsing the payload: its shape, and the customer read by pattern. */
function shallowPayloadKey(
  type: string,
  action: string,
  payload: string,
  uniqueId: string,
): string | null {
  if (uniqueId === "0" && payload === "Test message") return "";
  if (action === "CUSTOMERDEL") return /^\d+$/.test(payload) ? payload : null;
  if (!payload.startsWith("{") || !payload.endsWith("}")) return null;
  const pattern = type === "CUSTOMER" ? /"customerID":"([^"]*)"/ : /"customerId":"([^"]*)"/;
  return pattern.exec(payload)?.[1] ?? null;
}

/** The customer a payload is about, or null when the payload does not fit its action. */
function payloadKey(
  type: string,
  action: string,
  payload: string,
  uniqueId: string,
): string | null {
  // The document's own sample: CUSTOMERCRE with a plain-text payload and uniqueId "0".
  if (uniqueId === "0" && payload === "Test message") return "";
  if (action === "CUSTOMERDEL") return /^\d+$/.test(payload) ? payload : null;
  let record: unknown;
  try {
    record = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof record !== "object" || record === null) return null;
  const fields = record as Record<string, unknown>;
  if (type === "CUSTOMER") return typeof fields.customerID === "string" ? fields.customerID : null;
  if (typeof fields.retailTransactionId !== "string") return null;
  return typeof fields.customerId === "string" ? fields.customerId : fields.retailTransactionId;
}
