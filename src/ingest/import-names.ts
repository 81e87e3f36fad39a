/** The names an import goes by: its fileset's, and the file's as the batch file response gives it. */
import { basename, extname } from "node:path";
import { CusthubError } from "../domain/errors.js";

export const DEFAULT_FILESET = "default";
const FILESET = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Whether `name` can name a fileset: 1-64 letters, digits, `.`, `_` or `-`, and no `..`. */
export const isFilesetName = (name: string): boolean => FILESET.test(name) && !name.includes("..");

export function checkFileset(fileset: string): string {
  if (!isFilesetName(fileset)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Fileset ${JSON.stringify(fileset)} must be 1-64 letters, digits, '.', '_' or '-'.`,
      { fileset },
    );
  }
  return fileset;
}

/** The longest file name kept, in UTF-8 bytes: file systems allow 255, and a suffix may follow. */
const MAX_NAME_BYTES = 200;

/**
 * The file's name as the batch file response names things; never a path. Letters of any script,
 * digits and spaces stay, so two files remain told apart (`Kunden März.xml`); path separators,
 * control characters and what Windows file names refuse become `_`.
 */
export function safeName(fileName: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  let name = basename(fileName.replace(/\\/g, "/")).replace(/[\u0000-\u001f\u007f:*?"<>|]/g, "_");
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const extension = extname(name).length <= 10 ? extname(name) : "";
    const stem = [...name.slice(0, name.length - extension.length)];
    while (Buffer.byteLength(stem.join("") + extension) > MAX_NAME_BYTES) stem.pop();
    name = stem.join("") + extension;
  }
  return name.trim() === "" || name.startsWith(".") ? `upload${name}` : name;
}
