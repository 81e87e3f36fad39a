/** Reading and changing the settings stored in the database (SPEC 1, 6). */
import type { Actor } from "../domain/roles.js";
import {
  assertMayChangeSetting,
  checkSettingKey,
  checkSettingsAgree,
  DEPENDENT_SETTING_KEYS,
  parseSettingValue,
  resolveSettings,
  type SettingValue,
  type Settings,
} from "../domain/settings.js";
import type { Database } from "../store/database.js";
import { readStoredSettings, writeSetting, writeSettingChecked } from "../store/reference-data.js";

export class SettingsService {
  constructor(private readonly db: Database) {}

  async all(): Promise<Settings> {
    return resolveSettings(await readStoredSettings(this.db));
  }

  async get(key: string): Promise<SettingValue> {
    const checked = checkSettingKey(key);
    return (await this.all())[checked];
  }

  /**
   * A change asked for by `actor`, who may change settings (the API's `changeSettings`, the
   * destinations' `configureDestinations`, the CLI): refused with `FORBIDDEN`, nothing changed,
   * for a setting that needs more (one that decides where the saved credentials are sent);
   * otherwise as `set`.
   */
  async change(actor: Actor, key: string, raw: string | boolean | null): Promise<SettingValue> {
    assertMayChangeSetting(checkSettingKey(key), actor);
    return this.set(key, raw);
  }

  /**
   * Checks and stores a value, against the other settings too when they must agree (the lease
   * and the timeout); returns the value as stored. No roles are checked: what a person or a key
   * asks for goes through `change`.
   */
  async set(key: string, raw: string | boolean | null): Promise<SettingValue> {
    const checked = checkSettingKey(key);
    const value = parseSettingValue(checked, raw);
    if (!DEPENDENT_SETTING_KEYS.includes(checked)) {
      await writeSetting(this.db, checked, value);
      return value;
    }
    await writeSettingChecked(this.db, checked, value, (stored) => {
      const settings = resolveSettings(new Map([...stored, [checked, value]]));
      checkSettingsAgree(settings, checked);
    });
    return value;
  }
}
