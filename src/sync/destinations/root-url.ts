/** The root URL a destination's API paths are appended to (NewBase's and SocialHub's `baseUrl`). */
import { holdsUserInfo, USER_INFO_REFUSED } from "../../domain/settings.js";

/**
 * Reads a `baseUrl` setting: an http or https URL without a user or password, with its query
 * dropped and exactly one trailing slash, for paths are appended to the root. `invalid` makes the
 * destination's own error from the message.
 */
export function parseRootUrl(value: string, invalid: (message: string) => Error): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("baseUrl is not a URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw invalid("baseUrl must be an http or https URL.");
  }
  if (holdsUserInfo(url)) throw invalid(`baseUrl ${USER_INFO_REFUSED}.`);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/`;
  url.search = "";
  return url;
}
