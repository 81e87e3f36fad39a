import type { Command } from "commander";
import { mask, type Card } from "../../domain/cards.js";
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
}
