/**
 * The data-sync endpoint's transport (seeds/001 "Data Sync Job": "The Request will be a POST
 * method with CONTENT-TYPE: application/json", OAuth 2.0). A bearer token from the token source;
 * a 401 drops that token and the request is made once more with a fresh one. The message's
 * `uniqueId` also goes as `Idempotency-Key`, so a receiver can drop a message sent twice (a worker
 * killed after the send, before it recorded the answer).
 *
 * The answer's body is kept with a refused message (its last error, dead letter, run result) and
 * shown by Send Sample Message; a receiver may repeat the bearer token in it ("token ... expired"),
 * so every token sent, and the client secret, are blanked in it first (SPEC 6: never returned).
 */
import { messageEnvelope, type DataSyncMessage } from "../../../domain/sync-messages.js";
import type { HttpAnswer, HttpClient } from "../../http/http-client.js";
import type { TokenSource } from "../../oauth2.js";
import { redact, Secret } from "../../secrets/secret.js";

export class DataSyncClient {
  constructor(
    private readonly apiUrl: URL,
    private readonly tokens: TokenSource,
    private readonly http: HttpClient,
    /** Blanked in every answer, as the tokens are: the client secret. */
    private readonly secrets: readonly Secret[] = [],
  ) {}

  async send(message: DataSyncMessage): Promise<HttpAnswer> {
    const body = messageEnvelope([message]);
    const post = (token: string): Promise<HttpAnswer> =>
      this.http.post(
        this.apiUrl,
        {
          "content-type": "application/json",
          accept: "application/json",
          authorization: `Bearer ${token}`,
          "idempotency-key": message.uniqueId,
        },
        body,
      );
    const sent: Secret[] = [];
    const postWith = async (token: string): Promise<HttpAnswer> => {
      sent.push(new Secret(token));
      const answer = await post(token);
      return { ...answer, body: redact(answer.body, [...sent, ...this.secrets]) };
    };
    const token = await this.tokens.token();
    const answer = await postWith(token);
    if (answer.status !== 401) return answer;
    this.tokens.invalidate(token);
    return postWith(await this.tokens.token());
  }
}
