/**
 * Where `custhub serve` opens its admin socket: `custhub.sock` in the data dir. A Unix socket path
 * holds at most about 100 bytes; a data dir deeper than that gets its socket in a private folder
 * (mode 0700) under the system's temporary folder instead, named after the data dir. The lock file
 * records the path either way, and that is where the CLI looks.
 */
import { createHash } from "node:crypto";
import { mkdirSync, chmodSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";

/** sockaddr_un holds 108 bytes on Linux, 104 on macOS, with the final NUL. */
const MAX_SOCKET_PATH = 100;

export function adminSocketPathOf(dataDir: string): string {
  const inDataDir = join(resolve(dataDir), "custhub.sock");
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir;
  const digest = createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 16);
  const folder = join(tmpdir(), `custhub-${userInfo().uid}-${digest}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  return join(folder, "custhub.sock");
}
