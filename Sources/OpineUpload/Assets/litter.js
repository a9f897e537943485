// What on an MRI CD is not the study: the same lists and rules as OpineCore's Litter (Bundle/Litter.swift), so the
// page leaves out what `opine pack` leaves out. The bytes decide first (files.js): a DICOM file is never litter.

const systemFiles = new Set([".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".localized"]);
const systemFolders = new Set([
  "__macosx", "$recycle.bin", "recycler", "system volume information", ".spotlight-v100", ".trashes", ".fseventsd",
  ".temporaryitems", ".documentrevisions-v100",
]);
const viewerExtensions = new Set([
  "exe", "dll", "msi", "jar", "bat", "cmd", "com", "ocx", "sys", "so", "dylib", "class", "htm", "html", "js",
  "css", "chm", "lnk",
]);
const viewerFolders = new Set([
  "bin", "jre", "java", "program", "programs", "programfiles", "efilm", "efilmlite", "radiant", "microdicom", "dicomviewer",
  "osirix", "horos", "weasis", "onis", "sante", "synedra", "ezdicom", "inobitec", "philipsdicomviewer",
  "carestream", "vue", "impax", "autorun", "setup", "install", "installer",
]);
const bundleFiles = new Set(["manifest.json", "reason.json"]);

/** The reasons in words, as LitterReason.sentence says them, for a patient. */
export const reasonWords = {
  operating_system: "left by the computer's operating system, not part of the study",
  hidden: "a hidden file, not part of the study",
  viewer_program: "the CD's viewer program, not part of the study",
  autorun: "the CD's autostart file, not part of the study",
  bundle_file: "a file the service writes itself",
  unsupported_type: "not an MRI image, PDF, JPEG, PNG or text file, so it cannot be sent",
  too_large: "not an image, and larger than the practice takes a file",
};

/** A name's words, split as Litter.words splits them (DicomViewer and Viewer64 hold "viewer", "For reviewer" not). */
export function words(name) {
  const out = [];
  let current = "";
  let previous = null;
  for (const ch of name) {
    const isLetter = /\p{L}/u.test(ch), isNumber = /\p{N}/u.test(ch);
    const breaks = previous !== null && (
      (/\p{Ll}/u.test(previous) && /\p{Lu}/u.test(ch)) ||
      (/\p{L}/u.test(previous) && isNumber) || (/\p{N}/u.test(previous) && isLetter));
    if ((!(isLetter || isNumber) || breaks) && current !== "") {
      out.push(current.toLowerCase());
      current = "";
    }
    if (isLetter || isNumber) current += ch;
    previous = ch;
  }
  if (current !== "") out.push(current.toLowerCase());
  return out;
}

/**
 * Why `path` (relative, "/"-separated; a folder when `isFolder`) is left out when it is not DICOM, or null when it may
 * be part of the study.
 */
export function litterReason(path, isFolder) {
  const parts = path.split("/").filter((p) => p !== "");
  const name = parts[parts.length - 1];
  if (name === undefined) return null;
  const lower = name.toLowerCase();
  if (isFolder) {
    if (systemFolders.has(lower)) return "operating_system";
    if (name.startsWith(".")) return "hidden";
    const squeezed = [...lower].filter((c) => !" -_".includes(c)).join("");
    const ws = words(name);
    if (viewerFolders.has(squeezed) || ws.includes("viewer") || ws.includes("viewers") || lower.endsWith(".app")) {
      return "viewer_program";
    }
    return null;
  }
  if (parts.length === 1 && bundleFiles.has(lower.normalize("NFC"))) return "bundle_file";
  if (systemFiles.has(lower) || lower.startsWith("._")) return "operating_system";
  if (name.startsWith(".")) return "hidden";
  const stem = lower.split(".")[0];
  if (stem === "autorun" || stem === "autoplay") return "autorun";
  const dot = lower.lastIndexOf(".");
  if (dot >= 0 && viewerExtensions.has(lower.slice(dot + 1))) return "viewer_program";
  return null;
}

/** The first folder of `path`'s folders (top first) that is litter, as [folderPath, reason], or null. */
export function litterFolder(path) {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join("/");
    const reason = litterReason(folder, true);
    if (reason) return [folder, reason];
  }
  return null;
}
