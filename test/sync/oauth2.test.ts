/** OAuth2 client credentials against the receiver simulator's token endpoint (real HTTP). */
import { afterEach, describe, expect, it } from "vitest";
import { HttpClient } from "../../src/sync/http/http-client.js";
import { ClientCredentialsTokenSource, TokenCache } from "../../src/sync/oauth2.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import { DataSyncReceiver, type ReceiverOptions } from "../simulators/datasync-receiver.js";
import { EchoReceiver } from "../simulators/echo-receiver.js";

describe("OAuth2 client credentials", () => {
  const opened: { receiver: DataSyncReceiver; http: HttpClient }[] = [];
  afterEach(async () => {
    for (const { receiver, http } of opened.splice(0)) {
      await http.close();
      await receiver.close();
    }
  });

  async function tokenSource(
    options: ReceiverOptions,
    clock: { now: number } = { now: 0 },
    secret?: string,
  ) {
    const receiver = await DataSyncReceiver.start(options);
    const http = new HttpClient({
      connections: 2,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 1000,
    });
    opened.push({ receiver, http });
    const source = new ClientCredentialsTokenSource({
      tokenUrl: new URL(receiver.tokenUrl),
      credentials: {
        clientId: new Secret(receiver.clientId),
        clientSecret: new Secret(secret ?? receiver.clientSecret),
      },
      http,
      now: () => clock.now,
    });
    return { receiver, source };
  }

  it("authenticates with HTTP basic and keeps the token until shortly before it expires", async () => {
    const clock = { now: 0 };
    const { receiver, source } = await tokenSource({ tokenLifetimeSeconds: 3600 }, clock);
    const token = await source.token();
    clock.now = 3_539_000; // one second before the early refresh (60 s ahead of expiry)
    expect(await source.token()).toBe(token);
    clock.now = 3_541_000;
    expect(await source.token()).not.toBe(token);
    expect(receiver.tokenRequests).toEqual([
      { authentication: "basic", granted: true },
      { authentication: "basic", granted: true },
    ]);
  });

  it("refreshes a short-lived token a tenth of its life early", async () => {
    const clock = { now: 0 };
    const { receiver, source } = await tokenSource({ tokenLifetimeSeconds: 10 }, clock);
    const token = await source.token();
    clock.now = 8_900;
    expect(await source.token()).toBe(token);
    clock.now = 9_100;
    await source.token();
    expect(receiver.tokenRequests).toHaveLength(2);
  });

  it("falls back to client_id and client_secret in the body when basic is refused, and stays there", async () => {
    const { receiver, source } = await tokenSource({ clientAuthentication: "body" });
    const token = await source.token();
    source.invalidate(token);
    await source.token();
    expect(receiver.tokenRequests).toEqual([
      { authentication: "basic", granted: false },
      { authentication: "body", granted: true },
      { authentication: "body", granted: true },
    ]);
  });

  it("shares a token between the sources of one endpoint and client, for one secret only", async () => {
    const receiver = await DataSyncReceiver.start({ clientAuthentication: "body" });
    const http = new HttpClient({
      connections: 2,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 1000,
    });
    opened.push({ receiver, http });
    const cache = new TokenCache();
    const sourceWith = (secret: string) =>
      new ClientCredentialsTokenSource({
        tokenUrl: new URL(receiver.tokenUrl),
        credentials: { clientId: new Secret(receiver.clientId), clientSecret: new Secret(secret) },
        http,
        cache,
      });

    const token = await sourceWith(receiver.clientSecret).token();
    // A source made later (the next run's) takes the cached token.
    expect(await sourceWith(receiver.clientSecret).token()).toBe(token);
    expect(receiver.tokenRequests).toHaveLength(2);
    // Another secret is never given that token, and is refused both ways.
    await expect(sourceWith("another-secret").token()).rejects.toMatchObject({
      code: "TOKEN_REQUEST_FAILED",
    });
    // The right secret again fetches anew, in the body at once: the endpoint's way is remembered.
    const renewed = sourceWith(receiver.clientSecret);
    expect(await renewed.token()).not.toBe(token);
    expect(renewed.requests).toBe(1);
    expect(receiver.tokenRequests).toEqual([
      { authentication: "basic", granted: false },
      { authentication: "body", granted: true },
      { authentication: "body", granted: false },
      { authentication: "basic", granted: false },
      { authentication: "body", granted: true },
    ]);
  });

  it("fetches once for callers that ask at the same time", async () => {
    const { receiver, source } = await tokenSource({});
    const tokens = await Promise.all(Array.from({ length: 10 }, () => source.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(receiver.tokenRequests).toHaveLength(1);
  });

  it("reports refused credentials without repeating them, even when the server echoes them", async () => {
    const { receiver, source } = await tokenSource(
      { echoCredentialsInErrors: true },
      undefined,
      "wrong-secret-123",
    );
    const failure = await source.token().then(
      () => null,
      (error: unknown) => error as Error & { code: string },
    );
    expect(failure?.code).toBe("TOKEN_REQUEST_FAILED");
    expect(failure?.message).toContain("answered 401 (invalid_client");
    expect(failure?.message).not.toContain("wrong-secret-123");
    expect(failure?.message).not.toContain(receiver.clientId);
    expect(JSON.stringify(failure)).not.toContain("wrong-secret-123");
  });

  // 401: basic refused, then the form refused, repeated. 503: no second try, the Basic header
  // repeated. A secret with characters form and URI encoding change is sent other than it is.
  it.each([
    { status: 401, sent: "the form" },
    { status: 503, sent: "the Basic header" },
  ])("keeps the secret out of a refusal that repeats $sent it was sent in", async ({ status }) => {
    const echo = await new EchoReceiver("unused").start();
    const http = new HttpClient({
      connections: 2,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 1000,
    });
    echo.tokenStatus = status;
    const [clientId, clientSecret] = ["client one", "s3cr+et/ == x&y"];
    const source = new ClientCredentialsTokenSource({
      tokenUrl: new URL(echo.tokenUrl),
      credentials: { clientId: new Secret(clientId), clientSecret: new Secret(clientSecret) },
      http,
    });
    const failure = await source.token().then(
      () => null,
      (error: unknown) => error as Error & { code: string },
    );
    await http.close();
    await echo.stop();
    expect(failure?.code).toBe("TOKEN_REQUEST_FAILED");
    expect(failure?.message).toContain(`answered ${status} (invalid_client: not `);
    const text = JSON.stringify({ message: failure?.message, ...failure });
    for (const form of [
      clientSecret,
      new URLSearchParams({ clientSecret }).toString().slice("clientSecret=".length),
      encodeURIComponent(clientSecret),
      Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
        "base64",
      ),
      clientId,
      new URLSearchParams({ clientId }).toString().slice("clientId=".length),
    ]) {
      expect(text, form).not.toContain(form);
    }
  });

  it("reports an unreachable token endpoint", async () => {
    const { receiver, source } = await tokenSource({});
    await receiver.close();
    await expect(source.token()).rejects.toMatchObject({
      code: "TOKEN_REQUEST_FAILED",
      message: expect.stringContaining("could not be reached"),
    });
  });
});
