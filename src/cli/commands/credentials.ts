/**
 * `custhub credentials set --client-id ID [--client-secret SECRET]` (SPEC 10): saves the data-sync
 * client credentials, sealed, in the credential store (seeds/001). Without --client-secret the
 * secret is read from stdin: typed at a terminal without echo, or the first line of a pipe. A
 * secret on the command line shows in `ps` and shell history; stdin does not.
 */
import type { Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import { withHub } from "../context.js";
import { printResult, reportFailure } from "../output.js";
import { cliActor, openDataSync } from "./sync.js";

interface SetOptions {
  clientId: string;
  clientSecret?: string;
  json?: boolean;
}

export function registerCredentials(program: Command): void {
  const credentials = program
    .command("credentials")
    .description("the credential store of the data sync (sysadmin)");
  credentials
    .command("set")
    .requiredOption("--client-id <id>", "the OAuth2 client ID of the data-sync API")
    .option("--client-secret <secret>", "the client secret (default: read from stdin, not echoed)")
    .option("--json", "print one JSON document")
    .description(
      "save the client ID and secret under DataSyncCredentialMapName/DataSyncCredentialKeyName",
    )
    .action(async (options: SetOptions, command: Command) => {
      // Read before the database opens: a person typing must not hold the data dir meanwhile.
      let clientSecret: string;
      try {
        clientSecret = options.clientSecret ?? (await readSecret("client secret: "));
      } catch (error) {
        process.exitCode = reportFailure(options, error);
        return;
      }
      await withHub(command, options, async (hub) => {
        const saved = await openDataSync(hub, command).saveCredentials(cliActor, {
          clientId: options.clientId,
          clientSecret,
        });
        printResult(
          options,
          saved,
          () => `saved the client ID and secret in ${saved.mapName}/${saved.keyName}`,
        );
      });
    });
}

/** One line from stdin; at a terminal, typed without echo. */
async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  const text = input.isTTY ? await readWithoutEcho(prompt) : await readFirstLine(input);
  if (text === "") {
    throw new CusthubError(
      "INVALID_REQUEST",
      "No client secret: give --client-secret or write it to stdin.",
      {},
    );
  }
  return text;
}

async function readFirstLine(input: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    if (chunks.some((part) => part.includes(0x0a))) break;
  }
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

function readWithoutEcho(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: Error): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") {
          return finish(new CusthubError("INVALID_REQUEST", "Cancelled.", {}));
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on("data", onData);
  });
}
