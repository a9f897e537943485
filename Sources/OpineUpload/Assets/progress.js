// Progress while sending: a bar for all files with the time remaining, and a bar for each file in flight.
import { sizeWords } from "./files.js";

const $ = (id) => document.getElementById(id);

function durationWords(seconds) {
  if (!isFinite(seconds) || seconds <= 0) return "";
  if (seconds < 60) return "less than a minute left";
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? "" : "s"} left`;
  return `about ${Math.round(minutes / 60)} hours left`;
}

export class Progress {
  constructor(entries) {
    this.total = entries.reduce((sum, entry) => sum + entry.size, 0);
    this.files = entries.length;
    this.sent = new Map();
    this.done = 0;
    this.startedAt = performance.now();
    this.startBytes = null;
    this.rows = new Map();
    this.nextId = 0;
    $("file-progress").replaceChildren();
    $("progress").hidden = false;
    this.show();
  }

  sentBytes() {
    let sum = 0;
    for (const bytes of this.sent.values()) sum += bytes;
    return sum;
  }

  /** A file started: a labelled bar of its own. */
  started(entry) {
    const id = "file-progress-" + this.nextId++;
    const row = document.createElement("li");
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = entry.path;
    const bar = document.createElement("progress");
    bar.id = id;
    bar.max = Math.max(1, entry.size);
    bar.value = 0;
    row.append(label, bar);
    $("file-progress").append(row);
    this.rows.set(entry, bar);
  }

  /** The server has `offset` bytes of `entry`. */
  advanced(entry, offset) {
    if (this.startBytes === null) this.startBytes = this.sentBytes();
    this.sent.set(entry, offset);
    const bar = this.rows.get(entry);
    if (bar) bar.value = offset;
    this.show();
  }

  /** A file is complete: its bar goes, the count goes up. */
  finished(entry) {
    this.sent.set(entry, entry.size);
    this.rows.get(entry)?.parentElement.remove();
    this.rows.delete(entry);
    this.done += 1;
    this.show();
  }

  /** A wait before trying again, said in words. */
  waiting(ms) {
    const seconds = Math.round(ms / 1000);
    $("total-words").textContent =
      `The connection dropped; trying again in ${seconds} second${seconds === 1 ? "" : "s"}. Your upload continues where it stopped.`;
  }

  show() {
    const sent = this.sentBytes();
    const bar = $("total-progress");
    bar.max = Math.max(1, this.total);
    bar.value = sent;
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const rate = this.startBytes === null ? 0 : (sent - this.startBytes) / Math.max(elapsed, 0.001);
    const left = rate > 0 ? durationWords((this.total - sent) / rate) : "";
    $("total-words").textContent =
      `${sizeWords(sent)} of ${sizeWords(this.total)} sent; ${this.done} of ${this.files} files complete` + (left ? `; ${left}.` : ".");
  }
}
