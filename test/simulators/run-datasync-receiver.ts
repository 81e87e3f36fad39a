/**
 * The receiver simulator in a process of its own (benchmarks, demos): it must not share an event
 * loop with the sender it measures. Started with `fork`; it reports its URLs and credentials, then
 * answers IPC requests:
 * - `{ kind: "arrivals" }` -> `{ kind: "arrivals", keys, times, rejected }`: the customer and
 *   arrival time of each message taken since the last call, and how many requests it refused.
 * - `{ kind: "stop" }` closes the server and exits.
 */
import { DataSyncReceiver } from "./datasync-receiver.js";

type Request = { kind: "arrivals" } | { kind: "stop" };

const receiver = await DataSyncReceiver.start({ keepPayloads: false, payloadCheck: "shallow" });
const send = (message: unknown): void => {
  process.send?.(message);
};

process.on("message", (request: Request) => {
  if (request.kind === "arrivals") {
    const taken = receiver.accepted.splice(0);
    send({
      kind: "arrivals",
      keys: taken.map((message) => message.key),
      times: taken.map((message) => message.receivedAt),
      rejected: receiver.rejections.length,
    });
  } else {
    void receiver.close().then(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));

send({
  kind: "ready",
  tokenUrl: receiver.tokenUrl,
  messagesUrl: receiver.messagesUrl,
  clientId: receiver.clientId,
  clientSecret: receiver.clientSecret,
});
