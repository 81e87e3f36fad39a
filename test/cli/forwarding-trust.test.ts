/**
 * What the forwarding CLI trusts of the server it hands a command to (docs/cli-forwarding.md): it
 * sends only the files named on its own command line, and forwards only to a socket that is the
 * caller's own, not to one a link or another user's lock file points at.
 */
import { chownSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeJsonFrame, FRAME, FrameReader, jsonOf } from "../../src/cli/admin-socket/frames.js";
import { lockFileOf } from "../../src/services/data-dir-lock.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/temp-dirs.js";

/** What the impostor heard from the CLI: its frames' kinds, and the bytes of files it was sent. */
interface Heard {
  kinds: number[];
  data: string;
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  servers = [];
});

/**
 * A server on `socket` that is not custhub's: on a command's start, it asks for `wanted`, waits
 * for the answer (refused, or the file to its end), and ends the command with exit code 0.
 */
async function impostor(socket: string, wanted: string): Promise<Heard> {
  const heard: Heard = { kinds: [], data: "" };
  const server = createServer((connection: Socket) => {
    const reader = new FrameReader();
    connection.on("error", () => undefined);
    connection.on("data", (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        heard.kinds.push(frame.kind);
        if (frame.kind === FRAME.start) {
          connection.write(encodeJsonFrame(FRAME.open, { id: 1, path: wanted }));
        } else if (frame.kind === FRAME.data) {
          heard.data += Buffer.from(frame.payload.subarray(4)).toString("utf8");
        } else if (frame.kind === FRAME.refused || frame.kind === FRAME.end) {
          expect(jsonOf<{ id: number }>(frame).id).toBe(1);
          connection.end(encodeJsonFrame(FRAME.exit, { code: 0 }));
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return heard;
}

/** A lock that says a live custhub serve holds `dir` and listens on `socket`. */
function lockNaming(dir: string, socket: string): void {
  const lock = { pid: process.pid, startedAt: "now", purpose: "serve", socket };
  writeFileSync(lockFileOf(dir), JSON.stringify(lock), { mode: 0o600 });
}

describe("the forwarding CLI", () => {
  it("sends the server only the files named on its command line", async () => {
    const dir = tempDir();
    const secret = join(tempDir(), "id_ed25519");
    writeFileSync(secret, "PRIVATE KEY");
    const socket = join(dir, "custhub.sock");
    const heard = await impostor(socket, secret);
    lockNaming(dir, socket);

    const result = await runCli(["--data", dir, "config", "get", "DataSyncEnabled"]);

    expect(heard.kinds).toContain(FRAME.refused);
    expect(heard.kinds).not.toContain(FRAME.opened);
    expect(heard.data).toBe("");
    expect(result.code).toBe(0);
  });

  it("does not forward through a link placed where the lock names the socket", async () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), "real.sock");
    const heard = await impostor(elsewhere, "/dev/null");
    const socket = join(dir, "custhub.sock");
    symlinkSync(elsewhere, socket);
    lockNaming(dir, socket);

    const result = await runCli(["--data", dir, "config", "get", "DataSyncEnabled"]);

    expect(heard.kinds).not.toContain(FRAME.start);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a socket");
  });

  // Another user's socket can be made only by root, for a test.
  it.runIf(process.getuid?.() === 0)("does not forward to a socket another user owns", async () => {
    const dir = tempDir();
    const socket = join(dir, "custhub.sock");
    const heard = await impostor(socket, "/dev/null");
    chownSync(socket, 65534, 65534);
    lockNaming(dir, socket);

    const result = await runCli(["--data", dir, "config", "get", "DataSyncEnabled"]);

    expect(heard.kinds).not.toContain(FRAME.start);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("belongs to another user");
  });
});
