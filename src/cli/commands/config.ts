import type { Command } from "commander";
import { SETTINGS, SETTING_KEYS } from "../../domain/settings.js";
import { withHub } from "../context.js";
import { printResult, table } from "../output.js";
import { cliActor } from "./sync.js";

const show = (value: unknown): string => (value === null ? "(not set)" : String(value));

export function registerConfig(program: Command): void {
  const config = program
    .command("config")
    .description("read and change the settings stored in the database");
  config
    .command("get")
    .argument("<key>", `one of ${SETTING_KEYS.join(", ")}`)
    .option("--json", "print one JSON document")
    .description("print one setting")
    .action(async (key: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const value = await hub.settings.get(key);
        printResult(options, { key, value }, () => show(value));
      });
    });
  config
    .command("set")
    .argument("<key>", `one of ${SETTING_KEYS.join(", ")}`)
    .argument("<value>", "the new value (true/false/Yes/No for switches, an http(s) URL for URLs)")
    .option("--json", "print one JSON document")
    .description("change one setting")
    .action(async (key: string, raw: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const value = await hub.settings.change(cliActor, key, raw);
        printResult(options, { key, value }, () => `${key} = ${show(value)}`);
      });
    });
  config
    .command("list")
    .option("--json", "print one JSON document")
    .description("print every setting with its value")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const settings = await hub.settings.all();
        printResult(options, settings, () =>
          table(
            ["KEY", "VALUE", "DESCRIPTION"],
            SETTING_KEYS.map((key) => [key, show(settings[key]), SETTINGS[key].description]),
          ),
        );
      });
    });
}
