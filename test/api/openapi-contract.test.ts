/**
 * The OpenAPI document against the server it describes, for a user who generates a client from
 * it: the roles it names for each operation are the roles admitted.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { OpenApiDocument, OpenApiOperation } from "../../src/api/openapi.js";
import { ROLES, type Role } from "../../src/domain/roles.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { engines } from "../support/databases.js";
import { configureSync } from "../sync/helpers.js";
import { startServer, type CallOptions, type RunningServer } from "./helpers.js";

interface Operation {
  /** `POST /api/v1/customers/{customerID}/notes` */
  name: string;
  method: string;
  template: string;
  operation: OpenApiOperation;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${template}`,
      method: method.toUpperCase(),
      template,
      operation,
    })),
  );
}

/** Path parameters the data-sync routes find something under; any other is `1`. */
const HELD: Record<string, string> = {
  name: "datanuum",
  key: "rewardPointsConfig",
  config: "DATANUUM_CONFIG_01",
};

/** The template with each parameter filled in. */
const filled = (template: string): string =>
  template.replace(/\{(\w+)\}/g, (_whole, name: string) => HELD[name] ?? "1");

describe.each(engines)("the OpenAPI document against the server on $name", (engine) => {
  let server: RunningServer | undefined;
  let receiver: DataSyncReceiver | undefined;
  let datanuum: DatanuumReceiver | undefined;
  afterEach(async () => {
    await server?.close();
    await receiver?.close();
    await datanuum?.close();
  });

  async function start(): Promise<{ server: RunningServer; document: OpenApiDocument }> {
    receiver = await DataSyncReceiver.start();
    datanuum = await DatanuumReceiver.start();
    const sync = receiver;
    server = await startServer(engine, {}, async (hub) => ({
      dataSync: await configureSync(hub, sync),
    }));
    const reply = await server.call<OpenApiDocument>("GET", "/api/v1/openapi.json");
    expect(reply.status).toBe(200);
    return { server, document: reply.body };
  }

  it("admits to each operation exactly the roles its x-roles and x-roles-together name", async () => {
    const { server, document } = await start();
    // The data-sync services check the roles again, once the request is valid: these reach them.
    const dn = datanuum!;
    const reaching: Record<string, CallOptions & { path?: string }> = {
      "POST /api/v1/sync/dead-letters/requeue": { json: { all: true } },
      "PUT /api/v1/destinations/{name}/config/{key}": {
        path: "/api/v1/destinations/datanuum/config/rewardPointsConfig",
        json: { value: null },
      },
      "PUT /api/v1/destinations/{name}/credentials": {
        path: "/api/v1/destinations/datasync/credentials",
        json: { fields: { clientId: receiver!.clientId, clientSecret: receiver!.clientSecret } },
      },
      "POST /api/v1/destinations/{name}/run": { json: {} },
      "POST /api/v1/destinations/{name}/dead-letters/requeue": { json: { all: true } },
      "POST /api/v1/datanuum/configs": {
        json: { code: "DATANUUM_CONFIG_01", apiUrl: dn.apiUrl, apiKey: dn.apiKey },
      },
      "PUT /api/v1/datanuum/configs/{config}/credentials": { json: { apiKey: dn.apiKey } },
    };
    const pairs: Role[][] = [["sysconfig", "jobadmin"]];
    const keys = new Map<string, string>(ROLES.map((role) => [role, server.keys[role]]));
    for (const roles of pairs) {
      const created = await server.hub.apiKeys.create({ name: roles.join(" and "), roles });
      keys.set(roles.join("+"), created.key);
    }
    const secured = operationsOf(document).filter((op) => op.operation.security?.length);
    expect(secured.length).toBeGreaterThan(50);
    for (const op of secured) {
      const granting = [
        ...(op.operation["x-roles"] ?? []).map((role) => [role]),
        ...(op.operation["x-roles-together"] ?? []),
      ];
      expect(granting.length, op.name).toBeGreaterThan(0);
      const request = reaching[op.name] ?? {};
      const path = request.path ?? filled(op.template);
      for (const roles of [...ROLES.map((role) => [role]), ...pairs]) {
        const admitted = granting.some((set) => set.every((role) => roles.includes(role)));
        const reply = await server.call(op.method, path, {
          ...request,
          key: keys.get(roles.join("+"))!,
        });
        if (admitted) expect(reply.status, `${op.name} as ${roles.join("+")}`).not.toBe(403);
        else expect(reply.status, `${op.name} as ${roles.join("+")}`).toBe(403);
      }
    }
  });
});
