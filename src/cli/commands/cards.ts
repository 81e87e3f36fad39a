import type { Command } from "commander";
import { mask, type Card } from "../../domain/cards.js";
import type { CardChangeOutcome } from "../../services/cards.js";
import { withHub } from "../context.js";
import { printResult } from "../output.js";

interface AddOptions {
  serial?: string;
  program?: string;
  expires?: string;
  json?: boolean;
}

const describeCard = (card: Card): string =>
  `card ${mask(card.cardNumber)}: ${card.status}${card.customerID ? `, customer ${card.customerID}` : ""}` +
  `${card.expirationDate ? `, expires ${card.expirationDate}` : ""}${card.program ? `, program ${card.program}` : ""}`;

const cli = { actor: "cli", channel: "cli" } as const;

const describeChange = (outcome: CardChangeOutcome): string =>
  `${describeCard(outcome.card)}${outcome.record ? `; customer ${outcome.record.customerID} updated` : ""}`;

/** The status changes (seeds/001 Table H-1), each `custhub cards <name> NUMBER`. */
const STATUS_COMMANDS = [
  { name: "activate", description: "activateInstrument: an inactive card becomes active" },
  { name: "deactivate", description: "deactivateInstrument: an active card becomes inactive" },
  { name: "block", description: "block the card; it remembers its status for the unblock" },
  {
    name: "unblock",
    description: "unblockTenderAccount: the card gets back the status it had when blocked",
  },
] as const;

export function registerCards(program: Command): void {
  const cards = program
    .command("cards")
    .description("the card master: cards that customers can be associated with");
  cards
    .command("add")
    .argument("<cardNumber>", "the card number (letters, digits, '-')")
    .option("--serial <instrumentID>", "the card's serial number (InstrumentID)")
    .option("--program <program>", "the card program")
    .option("--expires <YYYY-MM-DD>", "the expiration date")
    .option("--json", "print one JSON document")
    .description("put a card on file, inactive until it is associated with a customer")
    .action(async (cardNumber: string, options: AddOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        const card = await hub.cards.add({
          cardNumber,
          instrumentID: options.serial,
          program: options.program,
          expirationDate: options.expires,
        });
        printResult(options, card, () => `added ${describeCard(card)}`);
      });
    });
  cards
    .command("get")
    .argument("<cardNumber>", "the card number")
    .option("--json", "print one JSON document")
    .description("print one card")
    .action(async (cardNumber: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const card = await hub.cards.get(cardNumber);
        printResult(options, card, () => describeCard(card));
      });
    });
  cards
    .command("reset-expiration")
    .argument("<cardNumber>", "the card number")
    .requiredOption("--expires <YYYY-MM-DD>", "the new expiration date, today or later")
    .option("--json", "print one JSON document: {card, record}")
    .description("resetCardExpirationDate: give the card a new expiration date")
    .action(
      async (
        cardNumber: string,
        options: { expires: string; json?: boolean },
        command: Command,
      ) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.cards.resetExpiration(cardNumber, options.expires, cli);
          printResult(options, outcome, () => describeChange(outcome));
        });
      },
    );
  for (const status of STATUS_COMMANDS) {
    cards
      .command(status.name)
      .argument("<cardNumber>", "the card number")
      .option("--json", "print one JSON document: {card, record}")
      .description(status.description)
      .action(async (cardNumber: string, options: { json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const outcome = await hub.cards[status.name](cardNumber, cli);
          printResult(options, outcome, () => describeChange(outcome));
        });
      });
  }
}
