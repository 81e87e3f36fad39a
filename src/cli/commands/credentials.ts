/**
 * `custhub credentials set --client-id ID [--client-secret SECRET]` (SPEC 10): saves the data-sync
 * client credentials, sealed, in the credential store (seeds/001). Without --client-secret the
 * secret is read from stdin: typed at a terminal without echo, or the first line of a pipe. A
 * secret on the command line shows in `ps` and shell history; stdin does not.
 */
import type { Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import { withHub } from "../context.js";
import { io } from "../io.js";
import { fail, printResult } from "../output.js";
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
        fail(options, error);
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

/** The secret, from stdin (or the terminal of the `custhub` process that forwarded the command). */
async function readSecret(prompt: string): Promise<string> {
  const text = await io().readSecret(prompt);
  if (text === "") {
    throw new CusthubError(
      "INVALID_REQUEST",
      "No client secret: give --client-secret or write it to stdin.",
      {},
    );
  }
  return text;
}
