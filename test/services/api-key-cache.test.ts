/** API keys are read once per few seconds, not once per request; a revoke still takes effect. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_KEY_CACHE_MS, ApiKeyService } from "../../src/services/api-keys.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

describe.each(engines)("API key look-ups on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  it("applies a revoke made here at once, and one made by another process within the cache time", async () => {
    let now = 1_000_000;
    const server = new ApiKeyService(hub.db, () => now);
    const elsewhere = new ApiKeyService(hub.db);
    const first = await server.create({ name: "pos", roles: "operator" });
    const second = await server.create({ name: "crm", roles: "viewer" });
    expect((await server.authenticate(first.key)).roles).toEqual(["operator"]);
    expect((await server.authenticate(second.key)).roles).toEqual(["viewer"]);

    await server.revoke(first.id);
    await expect(server.authenticate(first.key)).rejects.toMatchObject({ code: "UNAUTHORIZED" });

    await elsewhere.revoke(second.id);
    // Still trusted from the cache, until it expires.
    expect((await server.authenticate(second.key)).roles).toEqual(["viewer"]);
    now += API_KEY_CACHE_MS;
    await expect(server.authenticate(second.key)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
