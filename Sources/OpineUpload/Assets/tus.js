// A small tus 1.0 client (creation, checksum, resume) for the service's /api/uploads routes (docs/upload.md). Each
// chunk carries its SHA-256; a network error, a 5xx or a 423 (another PATCH of the upload still running, after a
// network change) waits, asks the server for its offset (HEAD) and continues.

const TUS = "1.0.0";
const maxTries = 12;

/** An error whose message is a sentence for the patient, and the form field at fault when the server named one. */
export class PageError extends Error {
  constructor(message, field = null, status = 0) {
    super(message);
    this.field = field;
    this.status = status;
  }
}

/** A problem worth retrying (no answer, a 5xx, or 423: an earlier PATCH of the upload is still running). */
class Transient extends Error {}

const base64 = (bytes) => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};
const utf8Base64 = (text) => base64(new TextEncoder().encode(text));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the server's `{"error", "field"}` answer into a PageError. */
export async function answerError(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    /* not JSON: say it plainly below */
  }
  const message = body.error || `The service answered ${response.status}. Please try again in a few minutes.`;
  return new PageError(message, body.field || null, response.status);
}

export class TusClient {
  /** `csrf`: the page's token; `chunkBytes`: the draft's `limits.chunk_bytes`. */
  constructor(csrf, chunkBytes) {
    this.csrf = csrf;
    this.chunkBytes = chunkBytes;
  }

  /** One request; network failures and 5xx become Transient, so the caller retries. */
  async request(url, method, headers = {}, body = undefined) {
    let response;
    try {
      response = await fetch(url, {
        method, body, credentials: "same-origin", cache: "no-store",
        headers: { "Tus-Resumable": TUS, "X-Opine-CSRF": this.csrf, ...headers },
      });
    } catch {
      throw new Transient("no answer");
    }
    if (response.status >= 500) throw new Transient(`status ${response.status}`);
    return response;
  }

  /** Runs `step` until it succeeds, waiting 1, 2, 4 … 30 s after each transient failure. */
  async retrying(step, onWait) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof Transient) || attempt + 1 >= maxTries) {
          if (error instanceof Transient) {
            throw new PageError("The connection to the service keeps failing. Check your internet connection and press Send again: the upload continues where it stopped.");
          }
          throw error;
        }
        const wait = Math.min(30000, 1000 * 2 ** attempt);
        if (onWait) onWait(wait);
        await sleep(wait);
      }
    }
  }

  /**
   * Creates an upload for `entry` in `draft`; returns its URL and the server's offset of it (0 when new; more for a
   * creation repeated after a lost answer), or a null offset from a server that does not say.
   */
  async create(draft, entry) {
    const metadata = [["draft", draft], ["role", entry.role], ["path", entry.path]]
      .map(([key, value]) => `${key} ${utf8Base64(value)}`).join(",");
    const response = await this.request("/api/uploads", "POST", {
      "Upload-Length": String(entry.size), "Upload-Metadata": metadata,
    });
    if (response.status !== 201) throw await answerError(response);
    const offset = response.headers.get("Upload-Offset");
    return { url: new URL(response.headers.get("Location"), location.href).pathname, offset: offset === null ? null : Number(offset) };
  }

  /** The server's offset of the upload at `url`, or null when it no longer has it (404, 410). */
  async offset(url) {
    const response = await this.request(url, "HEAD");
    if (response.status === 404 || response.status === 410 || response.status === 403) return null;
    if (!response.ok) throw new PageError(`The service answered ${response.status} about an upload. Please try again.`);
    return Number(response.headers.get("Upload-Offset"));
  }

  /** Removes the upload at `url` (tus termination); one the server no longer has is fine. */
  async terminate(url) {
    const response = await this.request(url, "DELETE");
    if (![204, 403, 404, 410].includes(response.status)) throw await answerError(response);
  }

  /**
   * Sends one chunk at `offset`; returns the new offset. 409: the server's own offset; 460: the same chunk again;
   * 423: transient (the caller waits and asks HEAD).
   */
  async patch(url, file, offset) {
    const end = Math.min(file.size, offset + this.chunkBytes);
    const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    for (let resent = 0; resent < 3; resent++) {
      const response = await this.request(url, "PATCH", {
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset),
        "Upload-Checksum": "sha256 " + base64(digest),
      }, bytes);
      if (response.status === 204) return Number(response.headers.get("Upload-Offset"));
      if (response.status === 423) throw new Transient("busy");
      if (response.status === 409) {
        const known = await this.offset(url);
        if (known === null) throw new Transient("gone");
        return known;
      }
      if (response.status !== 460) throw await answerError(response);
    }
    throw new PageError("A part of a file kept arriving damaged. Check your connection and press Send again.");
  }

  /**
   * Uploads `entry` from `offset` 0 or from where the server has it (`url` known from before a reload).
   * `remember(url)` keeps the URL for a reload; `progress(sentBytes)` reports the file's offset.
   */
  async upload(draft, entry, url, remember, progress, onWait) {
    // A zip's member is inflated now, while it is sent, and let go after (zip.js).
    if (entry.file.materialize) await entry.file.materialize();
    try {
      return await this.send(draft, entry, url, remember, progress, onWait);
    } finally {
      if (entry.file.release) entry.file.release();
    }
  }

  /** `upload`'s work: find or create the upload, then send its chunks from the server's offset. */
  async send(draft, entry, url, remember, progress, onWait) {
    let offset = null;
    if (url) offset = await this.retrying(() => this.offset(url), onWait);
    if (offset === null) {
      const created = await this.retrying(() => this.create(draft, entry), onWait);
      url = created.url;
      remember(url);
      // A creation repeated after a lost answer gets the upload already made, and its offset; one HEAD per file
      // saved is a round trip per file of a CD's thousands.
      offset = created.offset ?? (await this.retrying(() => this.offset(url), onWait)) ?? 0;
    }
    progress(offset);
    while (offset < entry.size) {
      const at = offset;
      offset = await this.retrying(async () => {
        try {
          return await this.patch(url, entry.file, at);
        } catch (error) {
          if (error instanceof Transient) {
            // Ask where the server is before sending again: part of the chunk may have arrived.
            const known = await this.offset(url).catch(() => null);
            if (known !== null && known !== at) return known;
          }
          throw error;
        }
      }, onWait);
      progress(offset);
    }
    return url;
  }
}
