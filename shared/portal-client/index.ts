/**
 * The typed PayConnect API client for the staff portal.
 *
 * schema.d.ts is generated from functions/openapi.json (bash tools/contract.sh write); do not edit it.
 * This file only names what the portal uses, over openapi-fetch.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

/** Every request and response record of the API, by name: Schemas["PayerResponse"]. */
export type Schemas = components["schemas"];

/** An RFC 9457 problem: every error the API answers with; `errors` maps each invalid field to its messages. */
export type Problem = Schemas["Problem"];

export type PayConnectClient = Client<paths>;

/**
 * A client of the API. `baseUrl` is the function app's origin followed by /api (locally http://localhost:7071/api).
 * Pass `headers` (an Authorization bearer token) or a custom `fetch` in the options.
 */
export function createPayConnectClient(options: ClientOptions & { baseUrl: string }): PayConnectClient {
  return createClient<paths>(options);
}
