/**
 * `custhub datanuum configs add|list|enable|disable|credentials` (seeds/000 "RewardPointsConfig"):
 * the reward-points configurations the datanuum destination's `rewardPointsConfig` setting names
 * by code or id. The API key is read from stdin when `--api-key` is not given.
 */
import type { Command } from "commander";
import { CusthubError } from "../../domain/errors.js";
import type { RewardConfig } from "../../sync/reward-config-service.js";
import { withHub } from "../context.js";
import { io } from "../io.js";
import { fail, printResult, table } from "../output.js";
import { openDestinations } from "./destinations.js";
import { cliActor } from "./sync.js";

interface JsonOption {
  json?: boolean;
}

async function readApiKey(given: string | undefined): Promise<string> {
  const key = given ?? (await io().readSecret("Datanuum API key: "));
  if (key === "") {
    throw new CusthubError("INVALID_REQUEST", "No API key: give --api-key or write it to stdin.", {
      field: "apiKey",
    });
  }
  return key;
}

function describe(config: RewardConfig): string {
  return `${config.code} (id ${config.id}) ${config.enabled ? "enabled" : "disabled"}: ${config.apiUrl}, API key ${config.credentials.saved ? "saved" : "not saved"}`;
}

export function registerDatanuum(program: Command): void {
  const configs = program
    .command("datanuum")
    .description("the Datanuum loyalty platform (seeds/000)")
    .command("configs")
    .description("reward-points configurations: code, id, API base URL, API key, enabled");

  configs
    .command("add")
    .argument("<code>", "the configuration's code (e.g. DATANUUM_CONFIG_01)")
    .requiredOption("--api-url <url>", "Datanuum's API base URL")
    .option("--api-key <key>", "the API key (default: read from stdin, not echoed)")
    .option("--disabled", "add it disabled")
    .option("--json", "print one JSON document")
    .description("add a configuration; its numeric id is assigned")
    .action(
      async (
        code: string,
        options: JsonOption & { apiUrl: string; apiKey?: string; disabled?: boolean },
        command: Command,
      ) => {
        let apiKey: string;
        try {
          apiKey = await readApiKey(options.apiKey);
        } catch (error) {
          fail(options, error);
          return;
        }
        await withHub(command, options, async (hub) => {
          const added = await openDestinations(hub, command).addRewardConfig(cliActor, {
            code,
            apiUrl: options.apiUrl,
            apiKey,
            enabled: options.disabled !== true,
          });
          printResult(options, added, () => `added ${describe(added)}`);
        });
      },
    );

  configs
    .command("list")
    .option("--json", "print one JSON document")
    .description("every configuration")
    .action(async (options: JsonOption, command: Command) => {
      await withHub(command, options, async (hub) => {
        const list = await openDestinations(hub, command).listRewardConfigs(cliActor);
        printResult(options, list, () =>
          list.length === 0
            ? "no reward-points configurations"
            : table(
                ["ID", "CODE", "ENABLED", "API URL", "API KEY"],
                list.map((config) => [
                  config.id,
                  config.code,
                  config.enabled ? "yes" : "no",
                  config.apiUrl,
                  config.credentials.saved ? "saved" : "not saved",
                ]),
              ),
        );
      });
    });

  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    configs
      .command(verb)
      .argument("<config>", "code or id")
      .option("--json", "print one JSON document")
      .description(`${verb} a configuration`)
      .action(async (codeOrId: string, options: JsonOption, command: Command) => {
        await withHub(command, options, async (hub) => {
          const config = await openDestinations(hub, command).setRewardConfigEnabled(
            cliActor,
            codeOrId,
            enabled,
          );
          printResult(options, config, () => describe(config));
        });
      });
  }

  configs
    .command("credentials")
    .argument("<config>", "code or id")
    .option("--api-key <key>", "the API key (default: read from stdin, not echoed)")
    .option("--json", "print one JSON document")
    .description("replace a configuration's API key (sysadmin)")
    .action(
      async (codeOrId: string, options: JsonOption & { apiKey?: string }, command: Command) => {
        let apiKey: string;
        try {
          apiKey = await readApiKey(options.apiKey);
        } catch (error) {
          fail(options, error);
          return;
        }
        await withHub(command, options, async (hub) => {
          const saved = await openDestinations(hub, command).saveRewardConfigKey(
            cliActor,
            codeOrId,
            apiKey,
          );
          printResult(
            options,
            saved,
            () => `saved the API key in ${saved.mapName}/${saved.keyName}`,
          );
        });
      },
    );
}
