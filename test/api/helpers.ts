/** A real server on 127.0.0.1 over a fresh hub, with one API key per role, for the API tests. */
import type { FastifyInstance } from "fastify";
import { buildServer, type ServerOptions } from "../../src/api/server.js";
import type { Role } from "../../src/domain/roles.js";
import type { Hub } from "../../src/services/hub.js";
import type { Engine } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export interface Reply<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

export interface CallOptions {
  /** An API key, or a role whose key the server was started with. */
  key?: string | Role;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is, with `content-type: application/json` unless `headers` says otherwise. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface RunningServer {
  hub: Hub;
  app: FastifyInstance;
  base: string;
  keys: Record<Role, string>;
  call<Body>(method: string, path: string, options?: CallOptions): Promise<Reply<Body>>;
  close(): Promise<void>;
}

const ROLES_WITH_KEYS: Role[] = ["sysadmin", "sysconfig", "jobadmin", "operator", "viewer"];

/**
 * `prepare`, given the hub before the server starts, gives more server options (a DataSync made
 * on the hub, say).
 */
export async function startServer(
  engine: Engine,
  options: Partial<ServerOptions> = {},
  prepare?: (hub: Hub) => Promise<Partial<ServerOptions>>,
): Promise<RunningServer> {
  const hub = await engine.freshHub();
  if (prepare) options = { ...options, ...(await prepare(hub)) };
  const keys = {} as Record<Role, string>;
  for (const role of ROLES_WITH_KEYS) {
    keys[role] = (await hub.apiKeys.create({ name: `test ${role}`, roles: [role] })).key;
  }
  const app = buildServer(hub, { dataDir: tempDir(), ...options });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    hub,
    app,
    base,
    keys,
    async call<Body>(method: string, path: string, call: CallOptions = {}) {
      const headers: Record<string, string> = {};
      if (call.key !== undefined) {
        headers.authorization = `Bearer ${(keys as Record<string, string>)[call.key] ?? call.key}`;
      }
      let body: string | undefined;
      if (call.json !== undefined || call.raw !== undefined) {
        headers["content-type"] = "application/json";
        body = call.raw ?? JSON.stringify(call.json);
      }
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...headers, ...call.headers },
        body,
      });
      const text = await response.text();
      const type = response.headers.get("content-type") ?? "";
      return {
        status: response.status,
        headers: response.headers,
        body: (type.startsWith("application/json") ? JSON.parse(text) : text) as Body,
      };
    },
    close: () => app.close(),
  };
}

/**
 * `METHOD /path/{param}` for every route Fastify holds, read from its own route tree (so a route
 * left out of the document cannot also be left out of this list); HEAD is Fastify's own for GET.
 */
export function routesOf(server: RunningServer): string[] {
  const stack: string[] = [];
  const found: string[] = [];
  for (const line of server.app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^(.*?)[└├]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = `${stack.join("")}${match[2]!}`;
    stack.push(match[2]!);
    for (const method of match[3]!.split(", ")) {
      if (method !== "HEAD") found.push(`${method} ${path.replace(/:(\w+)/g, "{$1}")}`);
    }
  }
  return found;
}
