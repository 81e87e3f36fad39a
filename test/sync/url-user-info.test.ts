import { describe, expect, it } from "vitest";
import { parseSettingValue } from "../../src/domain/settings.js";
import { newbaseDestination } from "../../src/sync/destinations/newbase/newbase-destination.js";
import { socialhubDestination } from "../../src/sync/destinations/socialhub/socialhub-destination.js";

// Settings are shown to every role that reads them; a password in a URL would be shown in the
// clear, where the credentials custhub sends are saved apart, encrypted, never shown.
const withUserInfo = [
  "https://svc:s3cret@receiver.example/api",
  "https://svc@receiver.example/api",
  "http://:s3cret@receiver.example/api",
];

const places: { name: string; parse: (url: string) => unknown }[] = [
  { name: "DataSyncApiUrl", parse: (url) => parseSettingValue("DataSyncApiUrl", url) },
  { name: "DataSyncTokenUrl", parse: (url) => parseSettingValue("DataSyncTokenUrl", url) },
  { name: "NewBase baseUrl", parse: (url) => newbaseDestination.parseSettings({ baseUrl: url }) },
  {
    name: "SocialHub baseUrl",
    parse: (url) => socialhubDestination.parseSettings({ baseUrl: url }),
  },
];

describe("URLs custhub sends to", () => {
  describe.each(places)("$name", ({ parse }) => {
    it.each(withUserInfo)("refuses %s without repeating it", (url) => {
      let thrown: unknown;
      try {
        parse(url);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        code: "INVALID_SETTING",
        message: expect.stringContaining("must not hold a user name or password"),
      });
      expect(JSON.stringify(thrown)).not.toContain("s3cret");
      expect((thrown as Error).message).not.toContain("s3cret");
    });

    it("takes the same URL without them", () => {
      expect(() => parse("https://receiver.example/api")).not.toThrow();
    });
  });
});
