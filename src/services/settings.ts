/** Reading and changing the settings stored in the database (SPEC 1, 6). */
import {
  checkSettingKey,
  parseSettingValue,
  resolveSettings,
  type SettingValue,
  type Settings,
} from "../domain/settings.js";
import type { Database } from "../store/database.js";
import { readStoredSettings, writeSetting } from "../store/reference-data.js";

export class SettingsService {
  constructor(private readonly db: Database) {}

  async all(): Promise<Settings> {
    return resolveSettings(await readStoredSettings(this.db));
  }

  async get(key: string): Promise<SettingValue> {
    const checked = checkSettingKey(key);
    return (await this.all())[checked];
  }

  /** Checks and stores a value; returns the value as stored. */
  async set(key: string, raw: string | boolean | null): Promise<SettingValue> {
    const checked = checkSettingKey(key);
    const value = parseSettingValue(checked, raw);
    await writeSetting(this.db, checked, value);
    return value;
  }
}
