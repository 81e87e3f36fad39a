/**
 * The data-sync endpoint's transport (seeds/001 "Data Sync Job": "The Request will be a POST
 * method with CONTENT-TYPE: application/json", OAuth 2.0). A bearer token from the token source;
 * a 401 drops that token and the request is made once more with a fresh one. The message's
 * `uniqueId` also goes as `Idempotency-Key`, so a receiver can drop a message sent twice (a worker
 * killed after the send, before it recorded the answer).
 */
import { messageEnvelope, type DataSyncMessage } from "../../../domain/sync-messages.js";
import type { HttpAnswer, HttpClient } from "../../http/http-client.js";
import type { TokenSource } from "../../oauth2.js";

export class DataSyncClient {
  constructor(
    private readonly apiUrl: URL,
    private readonly tokens: TokenSource,
    private readonly http: HttpClient,
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
    const token = await this.tokens.token();
    const answer = await post(token);
    if (answer.status !== 401) return answer;
    this.tokens.invalidate(token);
    return post(await this.tokens.token());
  }
}
