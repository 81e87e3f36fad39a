/**
 * The destinations custhub delivers the change stream to (SPEC 7), each a folder of this one
 * exporting its `DestinationDefinition`. The order is the order `custhub destinations list` shows.
 */
import { CusthubError } from "../../domain/errors.js";
import type { DestinationDefinition } from "../destination.js";
import { datanuumDestination } from "./datanuum/datanuum-destination.js";
import { datasyncDestination } from "./datasync/datasync-destination.js";
import { newbaseDestination } from "./newbase/newbase-destination.js";
import { socialhubDestination } from "./socialhub/socialhub-destination.js";

// Each definition keeps its own settings type; the registry sees them through `unknown`.
export const DESTINATIONS: readonly DestinationDefinition<unknown>[] = [
  datasyncDestination as DestinationDefinition<unknown>,
  datanuumDestination as DestinationDefinition<unknown>,
  newbaseDestination as DestinationDefinition<unknown>,
  socialhubDestination as DestinationDefinition<unknown>,
];

export function destinationNamed(
  name: string,
  registry: readonly DestinationDefinition<unknown>[] = DESTINATIONS,
): DestinationDefinition<unknown> {
  const found = registry.find((definition) => definition.name === name);
  if (!found) {
    throw new CusthubError(
      "DESTINATION_NOT_FOUND",
      `No destination is named ${JSON.stringify(name)}: the destinations are ${registry.map((definition) => definition.name).join(", ")}.`,
      { destination: name },
    );
  }
  return found;
}
