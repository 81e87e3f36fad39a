/**
 * Datanuum's transport, as docs/connectors.md ("Datanuum") defines it: `PUT
 * {apiUrl}/customers/{customerCode}` with the reward-points configuration's API key in
 * `X-Api-Key`, and the customer body as JSON. It creates or updates (seeds/000: "create or update
 * customer records"), so a message sent twice does no harm.
 */
import type { HttpAnswer, HttpClient } from "../../http/http-client.js";
import type { Secret } from "../../secrets/secret.js";
import type { DatanuumCustomer } from "./mapping.js";

export class DatanuumClient {
  readonly #base: string;

  constructor(
    apiUrl: URL,
    private readonly apiKey: Secret,
    private readonly http: HttpClient,
  ) {
    this.#base = apiUrl.href.replace(/\/+$/, "");
  }

  send(customer: DatanuumCustomer): Promise<HttpAnswer> {
    return this.http.request(
      "PUT",
      new URL(`${this.#base}/customers/${encodeURIComponent(customer.customerCode)}`),
      {
        "content-type": "application/json",
        accept: "application/json",
        "x-api-key": this.apiKey.reveal(),
      },
      JSON.stringify(customer),
    );
  }
}
