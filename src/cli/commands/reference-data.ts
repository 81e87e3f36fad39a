import { InvalidArgumentError, type Command } from "commander";
import { ATTRIBUTE_DATA_TYPES } from "../../domain/attributes.js";
import { withHub } from "../context.js";
import { printResult, table } from "../output.js";

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new InvalidArgumentError("needs a whole number above 0.");
  return number;
}

interface AttributeTypeOptions {
  type: string;
  values?: string;
  maxLength?: number;
  unique?: boolean;
  notEditable?: boolean;
  json?: boolean;
}

export function registerReferenceData(program: Command): void {
  const attributeTypes = program
    .command("attribute-types")
    .description("custom attribute type definitions");
  attributeTypes
    .command("add")
    .argument("<name>", "the attribute's name, as requests send it in <CustomAttribute name=...>")
    .requiredOption("--type <type>", ATTRIBUTE_DATA_TYPES.join("|"))
    .option("--values <a,b,c>", "the allowed values of a LIST")
    .option("--max-length <n>", "the longest value allowed", positiveInteger)
    .option("--unique", "one value per customer (default: several)")
    .option("--not-editable", "once given, a value cannot be changed by an update")
    .option("--json", "print one JSON document")
    .description("define a custom attribute type")
    .action(async (name: string, options: AttributeTypeOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        const type = await hub.referenceData.addAttributeType({
          name,
          dataType: options.type,
          maxLength: options.maxLength ?? null,
          unique: options.unique === true,
          editable: options.notEditable !== true,
          values: options.values === undefined ? [] : options.values.split(","),
        });
        printResult(options, type, () => `added attribute type ${type.name} (${type.dataType})`);
      });
    });
  attributeTypes
    .command("list")
    .option("--json", "print one JSON document")
    .description("list the custom attribute types")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const types = await hub.referenceData.listAttributeTypes();
        printResult(options, types, () =>
          table(
            ["NAME", "TYPE", "MAX", "UNIQUE", "EDITABLE", "VALUES"],
            types.map((type) => [
              type.name,
              type.dataType,
              type.maxLength === null ? "" : String(type.maxLength),
              type.unique ? "yes" : "no",
              type.editable ? "yes" : "no",
              type.values.join(","),
            ]),
          ),
        );
      });
    });

  const keyTypes = program
    .command("alt-key-types")
    .description("the managed list of alternate key type codes");
  keyTypes
    .command("add")
    .argument("<code>", "the new type code (letters, digits, underscore)")
    .option("--json", "print one JSON document")
    .description("add an alternate key type code")
    .action(async (code: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const typeCode = await hub.referenceData.addAlternateKeyType(code);
        printResult(options, { typeCode }, () => `added alternate key type ${typeCode}`);
      });
    });
  keyTypes
    .command("list")
    .option("--json", "print one JSON document")
    .description("list the alternate key type codes")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const codes = await hub.referenceData.listAlternateKeyTypes();
        printResult(options, codes, () => codes.join("\n"));
      });
    });
}
