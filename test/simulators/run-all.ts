/**
 * The four far sides on one machine, to try the whole flow by hand (`npm run simulators`): the
 * data-sync receiver, Datanuum, NewBase and SocialHub simulators on 127.0.0.1, each on a fixed
 * port (flags change them), with fixed demo credentials, so that custhub configured once keeps
 * working across restarts. It prints each one's URLs and credentials and the exact `custhub`
 * commands that point custhub at them, then one line per request each answers, until Ctrl-C.
 *
 *   npm run simulators -- [--datasync-port 9101] [--datanuum-port 9102] [--newbase-port 9103]
 *                         [--socialhub-port 9104] [--seed 1000-1999|none] [--quiet]
 *
 * NewBase and SocialHub update only customers they know (docs/connectors.md): `--seed` makes
 * them know the customer codes of a range (custhub's customerIDs start at 1000), NewBase with a
 * contact, organisation and person each. Everything is held in memory and gone at exit.
 *
 * The simulators listen on a port of their own choosing (as the tests use them); each is put
 * behind its fixed port by a plain TCP relay, which changes nothing in what goes over the wire.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { DataSyncReceiver } from "./datasync-receiver.js";
import { DatanuumReceiver } from "./datanuum-receiver.js";
import { NewbaseReceiver } from "./newbase-receiver.js";
import { SocialhubReceiver } from "./socialhub-receiver.js";

const { values } = parseArgs({
  options: {
    "datasync-port": { type: "string", default: "9101" },
    "datanuum-port": { type: "string", default: "9102" },
    "newbase-port": { type: "string", default: "9103" },
    "socialhub-port": { type: "string", default: "9104" },
    seed: { type: "string", default: "1000-1999" },
    quiet: { type: "boolean", default: false },
  },
});

const HOST = "127.0.0.1";

function portOf(
  flag: "datasync-port" | "datanuum-port" | "newbase-port" | "socialhub-port",
): number {
  const port = Number(values[flag]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`--${flag} must be a port number (1-65535), not ${values[flag]}`);
  }
  return port;
}

function seedRange(text: string): string[] {
  if (text === "none") return [];
  const match = /^(\d+)-(\d+)$/.exec(text);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || to < from || to - from >= 100_000) {
    throw new Error(`--seed is FROM-TO (at most 100,000 codes) or none, not ${text}`);
  }
  return Array.from({ length: to - from + 1 }, (_, index) => String(from + index));
}

/** Relays `port` on 127.0.0.1 to the simulator listening on `target`. */
function relay(name: string, port: number, target: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, HOST);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  server.on("close", () => {
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} (${name}) is in use: choose another with --${name}-port`)
          : error,
      ),
    );
    server.listen(port, HOST, () => resolve(server));
  });
}

/** The simulator's URL with the relay's port instead of its own. */
function onPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.href;
}

const ports = {
  datasync: portOf("datasync-port"),
  datanuum: portOf("datanuum-port"),
  newbase: portOf("newbase-port"),
  socialhub: portOf("socialhub-port"),
};
const codes = seedRange(values.seed);

// Demo credentials: fixed so that the commands below stay right across restarts. Local only.
const datasync = await DataSyncReceiver.start({
  clientId: "custhub-demo",
  clientSecret: "datasync-demo-secret",
});
const datanuum = await DatanuumReceiver.start({ apiKey: "datanuum-demo-key" });
const newbase = await NewbaseReceiver.start({
  username: "custhub-demo",
  password: "newbase-demo-password",
});
const socialhub = await SocialhubReceiver.start({ apiKey: "socialhub-demo-key" });
for (const serial of codes) {
  newbase.seedCustomer({
    serial,
    organisation: { name: `Organisation ${serial}` },
    person: { first_name: "Unknown", last_name: serial },
    debtor: null,
    visitAddress: null,
    deliveryAddress: null,
  });
  socialhub.seed(serial);
}

const relays: Server[] = [];
const closeAll = async (): Promise<void> => {
  await Promise.all(relays.map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all([datasync.close(), datanuum.close(), newbase.close(), socialhub.close()]);
};
try {
  const targets: [keyof typeof ports, string][] = [
    ["datasync", datasync.tokenUrl],
    ["datanuum", datanuum.apiUrl],
    ["newbase", newbase.baseUrl],
    ["socialhub", socialhub.baseUrl],
  ];
  for (const [name, url] of targets) {
    relays.push(await relay(name, ports[name], Number(new URL(url).port)));
  }
} catch (error) {
  await closeAll();
  console.error(`simulators: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const urls = {
  token: onPort(datasync.tokenUrl, ports.datasync),
  messages: onPort(datasync.messagesUrl, ports.datasync),
  datanuum: onPort(datanuum.apiUrl, ports.datanuum),
  newbase: onPort(newbase.baseUrl, ports.newbase),
  socialhub: onPort(socialhub.baseUrl, ports.socialhub),
};
const seeded =
  codes.length === 0
    ? "none (--seed none)"
    : `customer codes ${codes[0]} to ${codes.at(-1)} (${codes.length})`;

console.log(`custhub's four destinations, simulated on ${HOST} (demo credentials, local only):

  datasync   data-sync endpoint (seeds/001)  token ${urls.token}
                                             messages ${urls.messages}
             OAuth2 client ID ${datasync.clientId}, secret ${datasync.clientSecret}
  datanuum   loyalty (seeds/000)             API ${urls.datanuum}
             X-Api-Key ${datanuum.apiKey}
  newbase    ERP (seeds/002)                 API ${urls.newbase}
             Basic user ${newbase.username}, password ${newbase.password}; knows ${seeded}
  socialhub  CRM (seeds/004)                 API ${urls.socialhub}
             Authorization ${socialhub.apiKey}; knows ${seeded}

Point custhub at them (in the custhub folder; beside a running \`npm start\` too):

  npx custhub config set DataSyncApiUrl ${urls.messages}
  npx custhub config set DataSyncTokenUrl ${urls.token}
  npx custhub config set DataSyncCredentialKeyName datasync
  npx custhub config set DataSyncIntervalSeconds 5
  npx custhub destinations credentials datasync --field clientId=${datasync.clientId} --field clientSecret=${datasync.clientSecret}
  npx custhub destinations enable datasync

  npx custhub datanuum configs add DEMO --api-url ${urls.datanuum} --api-key ${datanuum.apiKey}
  npx custhub destinations config datanuum rewardPointsConfig DEMO
  npx custhub destinations enable datanuum

  npx custhub destinations config newbase baseUrl ${urls.newbase}
  npx custhub destinations credentials newbase --field username=${newbase.username} --field password=${newbase.password}
  npx custhub destinations enable newbase

  npx custhub destinations config socialhub baseUrl ${urls.socialhub}
  npx custhub destinations credentials socialhub --field apiKey=${socialhub.apiKey}
  npx custhub destinations enable socialhub

Then change a customer (the API, an import, \`custhub customers ...\`) and let \`npm start\` deliver it
on its schedule, or send now: \`npx custhub destinations run newbase [--customer ID]\`;
\`npx custhub destinations list\` shows each destination's queue. Secrets on a command line show in
\`ps\` and shell history: fine for these demo keys, leave the values out for real ones (stdin).
${values.quiet ? "" : "\nEach request answered is shown below."} Ctrl-C stops.
`);

/** One line per request answered, taken from the simulators' logs (emptied as they are shown). */
function showRequests(): void {
  const line = (name: string, text: string): void => console.log(`${name.padEnd(10)} ${text}`);
  for (const message of datasync.answered.splice(0)) {
    line("datasync", `message for ${message.key || "the sample"} -> ${message.outcome}`);
  }
  datasync.accepted.splice(0);
  for (const rejection of datasync.rejections.splice(0)) {
    line("datasync", `refused ${rejection.status}: ${rejection.reason}`);
  }
  for (const request of datanuum.requests.splice(0)) {
    line(
      "datanuum",
      `${request.method} ${request.path} -> ${request.status}${request.error ? ` ${request.error}` : ""}`,
    );
  }
  for (const request of newbase.requests.splice(0)) {
    line("newbase", `${request.table}/${request.operation} -> ${request.status}`);
  }
  for (const request of socialhub.requests.splice(0)) {
    line("socialhub", `update ${request.customerCode} -> ${request.status} (code ${request.code})`);
  }
}
const timer = setInterval(
  values.quiet
    ? () => {
        datasync.answered.splice(0);
        datasync.accepted.splice(0);
        datasync.rejections.splice(0);
        datanuum.requests.splice(0);
        newbase.requests.splice(0);
        socialhub.requests.splice(0);
      }
    : showRequests,
  500,
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  if (!values.quiet) showRequests();
  void closeAll().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
