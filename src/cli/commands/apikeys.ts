/**
 * `custhub apikeys`: make, list and revoke REST API keys (SPEC 10). Keys are made only here, on the
 * machine, so the first key never comes over the network (issue 6).
 */
import type { Command } from "commander";
import type { ApiKeyInfo } from "../../services/api-keys.js";
import { withHub } from "../context.js";
import { printResult, table } from "../output.js";

interface CreateOptions {
  name: string;
  roles: string;
  json?: boolean;
}

const stateOf = (key: ApiKeyInfo): string =>
  key.revokedAt ? `revoked ${key.revokedAt}` : "active";

export function registerApiKeys(program: Command): void {
  const apikeys = program
    .command("apikeys")
    .description("REST API keys: each carries roles; shown once, stored hashed");
  apikeys
    .command("create")
    .requiredOption("--name <name>", "who or what the key is for")
    .requiredOption(
      "--roles <roles>",
      "comma-separated: sysadmin, sysconfig, jobadmin, operator, viewer",
    )
    .option("--json", "print one JSON document (the key included)")
    .description("make a key; it is printed once, as the last line")
    .action(async (options: CreateOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        const created = await hub.apiKeys.create({ name: options.name, roles: options.roles });
        // The key is the last line so that scripts can take it with `tail -n 1` (SPEC 10).
        printResult(options, created, () =>
          [
            `created API key ${created.id} "${created.name}" with roles ${created.roles.join(",")}`,
            "Store it now: it is shown only this once.",
            created.key,
          ].join("\n"),
        );
      });
    });
  apikeys
    .command("list")
    .option("--json", "print one JSON document")
    .description("list the keys (never the keys themselves)")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const keys = await hub.apiKeys.list();
        printResult(options, keys, () =>
          keys.length === 0
            ? "no API keys"
            : table(
                ["ID", "NAME", "ROLES", "CREATED", "STATE"],
                keys.map((key) => [
                  key.id,
                  key.name,
                  key.roles.join(","),
                  key.createdAt,
                  stateOf(key),
                ]),
              ),
        );
      });
    });
  apikeys
    .command("revoke")
    .argument("<id>", "the key id that `apikeys list` shows")
    .option("--json", "print one JSON document")
    .description("revoke a key: it is refused from now on")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const revoked = await hub.apiKeys.revoke(id);
        printResult(options, revoked, () => `revoked API key ${revoked.id} "${revoked.name}"`);
      });
    });
}
