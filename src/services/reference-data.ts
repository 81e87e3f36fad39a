/** Managed lists: alternate key types and custom attribute types (SPEC 2, 10). */
import { parseAttributeType, type AttributeType } from "../domain/attributes.js";
import { CusthubError } from "../domain/errors.js";
import type { Database } from "../store/database.js";
import {
  insertAlternateKeyType,
  insertAttributeType,
  listAlternateKeyTypes,
  listAttributeTypes,
} from "../store/reference-data.js";

const TYPE_CODE = /^[A-Z0-9_]{1,30}$/;

export class ReferenceDataService {
  constructor(private readonly db: Database) {}

  listAlternateKeyTypes(): Promise<string[]> {
    return listAlternateKeyTypes(this.db);
  }

  async addAlternateKeyType(raw: string): Promise<string> {
    const typeCode = raw.trim().toUpperCase();
    if (!TYPE_CODE.test(typeCode)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        "An alternate key type code is 1-30 letters, digits or underscores.",
        { typeCode: raw },
      );
    }
    if (!(await insertAlternateKeyType(this.db, typeCode))) {
      throw new CusthubError("ALREADY_EXISTS", `Alternate key type ${typeCode} already exists.`, {
        typeCode,
      });
    }
    return typeCode;
  }

  listAttributeTypes(): Promise<AttributeType[]> {
    return listAttributeTypes(this.db);
  }

  async addAttributeType(input: Parameters<typeof parseAttributeType>[0]): Promise<AttributeType> {
    const type = parseAttributeType(input);
    const added = await this.db.transaction((tx) => insertAttributeType(tx, type));
    if (!added) {
      throw new CusthubError(
        "ALREADY_EXISTS",
        `Attribute type ${JSON.stringify(type.name)} already exists.`,
        {
          name: type.name,
        },
      );
    }
    return type;
  }
}
