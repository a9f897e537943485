// The files a patient picks, sorted as OpineCore's StudySorter sorts a folder: the bytes first (DICOM by "DICM" at byte
// 128, wherever it is and whatever its name), then the names (litter.js), then the type and the size.
import { litterFolder, litterReason, reasonWords } from "./litter.js";

const headBytes = 1024;

/** Reads the first bytes of a file (or of a zip's member, inflating no more than needed). */
async function head(file, length) {
  if (file.head) return file.head(Math.min(length, file.size));
  return new Uint8Array(await file.slice(0, Math.min(length, file.size)).arrayBuffer());
}

/** Whether `bytes` hold "DICM" at byte 128 (read with File.slice(128, 132) by the caller or from a longer head). */
export function isDICOM(bytes) {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** The media type the first bytes announce (PDF, JPEG, PNG, or UTF-8 text without NUL), or null. */
export function signatureType(bytes, whole) {
  const starts = (sig) => sig.every((b, i) => bytes[i] === b);
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return "application/pdf";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (bytes.length === 0 || bytes.includes(0)) return null;
  // A head cut short may end inside a character: judge what precedes its last three bytes.
  const judged = whole ? bytes : bytes.subarray(0, Math.max(0, bytes.length - 3));
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(judged);
    return "text/plain";
  } catch {
    return null;
  }
}

/** The path of a folder pick's file within the picked folder (the folder's own name, often a patient's, dropped). */
function innerPath(file) {
  const relative = file.webkitRelativePath || file.name;
  const slash = relative.indexOf("/");
  return slash >= 0 ? relative.slice(slash + 1) : relative;
}

/** A folder pick's files as [{file, path}], each path within the picked folder. */
export function folderItems(files) {
  return files.map((file) => ({ file, path: innerPath(file) }));
}

/**
 * Sorts a folder's (or an opened zip's) files, [{file, path}], into what is sent and what is left out:
 * { send: [{file, role, path, size}], leftOut: [{path, reason, words, isFolder}] }.
 * A left-out folder is named once for everything it leaves out.
 */
export async function survey(items, maxFileBytes) {
  const send = [];
  const leftOut = [];
  const foldersNamed = new Set();
  for (const { file, path } of items) {
    const bytes = await head(file, headBytes);
    if (isDICOM(bytes)) {
      send.push({ file, role: "study", path, size: file.size });
      continue;
    }
    const folder = litterFolder(path);
    if (folder) {
      if (!foldersNamed.has(folder[0])) {
        foldersNamed.add(folder[0]);
        leftOut.push({ path: folder[0] + "/", reason: folder[1], words: reasonWords[folder[1]], isFolder: true });
      }
      continue;
    }
    const reason = litterReason(path, false) ??
      (signatureType(bytes, file.size <= headBytes) === null ? "unsupported_type" : file.size > maxFileBytes ? "too_large" : null);
    if (reason) {
      leftOut.push({ path, reason, words: reasonWords[reason], isFolder: false });
      continue;
    }
    send.push({ file, role: "study", path, size: file.size });
  }
  return { send, leftOut };
}

/** The report: sent when its bytes are a PDF, JPEG, PNG or text; otherwise a sentence for the patient. */
export async function checkReport(file) {
  const bytes = await head(file, headBytes);
  if (signatureType(bytes, file.size <= headBytes) === null) {
    return { error: "The report must be a PDF, JPEG, PNG or text file. Pick the report itself, or leave this empty." };
  }
  return { entry: { file, role: "report", path: file.name, size: file.size } };
}

/** Bytes in words: 1.2 GB, 340 MB, 12 KB. */
export function sizeWords(bytes) {
  const units = [["GB", 1e9], ["MB", 1e6], ["KB", 1e3]];
  for (const [unit, size] of units) {
    if (bytes >= size) return (bytes / size).toFixed(bytes >= 10 * size ? 0 : 1) + " " + unit;
  }
  return bytes + " bytes";
}
