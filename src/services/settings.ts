/** Reading and changing the settings stored in the database (SPEC 1, 6). */
import {
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
   * Checks and stores a value, against the other settings too when they must agree (the lease
   * and the timeout); returns the value as stored.
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
