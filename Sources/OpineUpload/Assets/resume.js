// What the page keeps in this browser to resume after a reload: the draft's id and, per file, its upload's URL keyed
// by a SHA-256 of (role, path, size, last modified). Never a name, a path or anything typed, in clear.

// The add-files page keeps its own, so an interrupted new request's uploads never join a supplement, nor the reverse.
const storageKey = document.getElementById("request")?.dataset.mode === "supplement" ? "opine-upload-resume-add" : "opine-upload-resume";

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (saved && typeof saved.draft === "string" && saved.uploads && typeof saved.uploads === "object") return saved;
  } catch {
    /* a damaged entry is forgotten */
  }
  return null;
}

function save(state) {
  try {
    localStorage.setItem(storageKey, JSON.stringify(state));
  } catch {
    /* storage full or refused: the upload still works, it only cannot resume after a reload */
  }
}

/** The key of a file: hex SHA-256 of its role, path, size and last-modified time. */
export async function fileKey(entry) {
  const text = [entry.role, entry.path, String(entry.size), String(entry.file.lastModified)].join("\n");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The draft kept from before a reload, if it has not expired. */
export function savedDraft() {
  const state = load();
  if (!state) return null;
  if (state.expiresAt && Date.parse(state.expiresAt) < Date.now()) {
    forget();
    return null;
  }
  return state;
}

/** Starts keeping a new draft (forgetting any earlier one). */
export function keepDraft(draft, expiresAt, limits) {
  save({ draft, expiresAt, limits, uploads: {} });
}

/** The upload URL kept for `key`, or null. */
export function savedUpload(key) {
  return load()?.uploads[key] ?? null;
}

/** Keeps `url` for `key`. */
export function keepUpload(key, url) {
  const state = load();
  if (!state) return;
  state.uploads[key] = url;
  save(state);
}

/** Every kept (key, URL) pair of the draft. */
export function savedUploads() {
  return Object.entries(load()?.uploads ?? {});
}

/** Forgets the upload kept for `key`. */
export function forgetUpload(key) {
  const state = load();
  if (!state) return;
  delete state.uploads[key];
  save(state);
}

/** Forgets everything (after a submit, or when the draft is gone). */
export function forget() {
  try {
    localStorage.removeItem(storageKey);
  } catch {
    /* nothing kept */
  }
}
