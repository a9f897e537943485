// A zip of a CD, opened in the browser so it is sorted like a folder: its central directory is read from the end of
// the file, and each member is inflated (DecompressionStream "deflate-raw") only when it is looked at or sent, at
// most a few at once, so a large zip is never held in memory whole. ZIP64 and encrypted members are refused with a
// sentence; the service and opined check every file again.

const EOCD = 0x06054b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

/** A zip that cannot be opened here, with the sentence for the patient. */
export class ZipProblem extends Error {}

/** One member of the zip, shaped like a File for the survey and the tus client (`size`, `lastModified`, `slice`). */
class ZipMember {
  constructor(zip, entry) {
    this.zip = zip;
    this.entry = entry;
    this.size = entry.size;
    this.lastModified = zip.lastModified;
    this.blob = null;
  }

  /** Where the member's bytes start: after its local header, whose name and extra lengths may differ from the directory's. */
  async dataStart() {
    const header = new DataView(await this.zip.slice(this.entry.local, this.entry.local + 30).arrayBuffer());
    if (header.byteLength < 30 || header.getUint32(0, true) !== LOCAL) throw new ZipProblem("The zip file is damaged. Pick the folder itself instead of a zip.");
    return this.entry.local + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  }

  /** The member's bytes as a stream. */
  async stream() {
    const start = await this.dataStart();
    const raw = this.zip.slice(start, start + this.entry.compressed);
    return this.entry.method === 0 ? raw.stream() : raw.stream().pipeThrough(new DecompressionStream("deflate-raw"));
  }

  /** The first `length` bytes, inflating no more than needed. */
  async head(length) {
    const reader = (await this.stream()).getReader();
    const parts = [];
    let got = 0;
    try {
      while (got < length) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        got += value.length;
      }
    } catch {
      throw new ZipProblem("The zip file is damaged. Pick the folder itself instead of a zip.");
    } finally {
      reader.cancel().catch(() => {});
    }
    const bytes = new Uint8Array(got);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return bytes.subarray(0, Math.min(length, got));
  }

  /** Inflates the whole member before it is sent (a stored one is only a slice of the zip). */
  async materialize() {
    if (this.blob) return;
    try {
      this.blob = await new Response(await this.stream()).blob();
    } catch {
      throw new ZipProblem("The zip file is damaged. Pick the folder itself instead of a zip.");
    }
    if (this.blob.size !== this.size) throw new ZipProblem("The zip file is damaged. Pick the folder itself instead of a zip.");
  }

  /** Lets the inflated bytes go once the member is sent. */
  release() {
    this.blob = null;
  }

  slice(start, end) {
    return this.blob.slice(start, end);
  }
}

/** The end-of-central-directory record, searched for in the last 64 KiB + 22 bytes. */
async function endRecord(file) {
  const tailSize = Math.min(file.size, 22 + 65535);
  const tail = new DataView(await file.slice(file.size - tailSize).arrayBuffer());
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      return { count: tail.getUint16(i + 10, true), size: tail.getUint32(i + 12, true), offset: tail.getUint32(i + 16, true) };
    }
  }
  throw new ZipProblem("This file is not a zip the page can open. Pick the folder itself instead.");
}

/**
 * The zip's files as [{file, path}] (folders skipped). A zip of one folder (every path under the same first folder,
 * often named after the patient) has that folder taken off, as a picked folder's own name is.
 */
export async function zipMembers(file) {
  const end = await endRecord(file);
  if (end.count === 0xffff || end.offset === 0xffffffff || end.size === 0xffffffff) {
    throw new ZipProblem("This zip is too large to open in the browser. Pick the folder itself instead.");
  }
  const directory = new DataView(await file.slice(end.offset, end.offset + end.size).arrayBuffer());
  const members = [];
  let at = 0;
  for (let i = 0; i < end.count; i++) {
    if (at + 46 > directory.byteLength || directory.getUint32(at, true) !== CENTRAL) {
      throw new ZipProblem("The zip file is damaged. Pick the folder itself instead of a zip.");
    }
    const flags = directory.getUint16(at + 8, true), method = directory.getUint16(at + 10, true);
    const nameLength = directory.getUint16(at + 28, true);
    const name = new TextDecoder().decode(new Uint8Array(directory.buffer, directory.byteOffset + at + 46, nameLength));
    const entry = {
      method, compressed: directory.getUint32(at + 20, true), size: directory.getUint32(at + 24, true),
      local: directory.getUint32(at + 42, true),
    };
    at += 46 + nameLength + directory.getUint16(at + 30, true) + directory.getUint16(at + 32, true);
    if (name.endsWith("/")) continue;
    if (flags & 1) throw new ZipProblem("The zip has a password. Make it again without one, or pick the folder itself.");
    if (method !== 0 && method !== 8) throw new ZipProblem("The zip uses a kind of compression the page cannot open. Pick the folder itself instead.");
    members.push({ file: new ZipMember(file, entry), path: name });
  }
  // macOS puts its __MACOSX/ folder beside the zipped folder: it is left out anyway, so it does not count here.
  const study = members.filter((member) => !member.path.startsWith("__MACOSX/"));
  const first = study.length > 0 && study[0].path.includes("/") ? study[0].path.split("/")[0] + "/" : null;
  if (first && study.every((member) => member.path.startsWith(first))) {
    for (const member of study) member.path = member.path.slice(first.length);
  }
  return members;
}
