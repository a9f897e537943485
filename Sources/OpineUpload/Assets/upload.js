// The request page and the add-files page: picks and sorts the files, sends them resumably (three at once) and
// submits the answers (a new request), or the note (files added to a request already sent).
import { answers, clearErrors, focusFirstError, isSupplement, problems, showError, watchCorrections, watchEmergency } from "./form.js";
import { checkReport, folderItems, sizeWords, survey } from "./files.js";
import { Progress } from "./progress.js";
import { fileKey, forget, forgetUpload, keepDraft, keepUpload, savedDraft, savedUpload, savedUploads } from "./resume.js";
import { PageError, TusClient, answerError } from "./tus.js";
import { ZipProblem, zipMembers } from "./zip.js";

const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="opine-csrf"]').content;
const concurrency = 3;
// The service's limits, as the page was rendered with them (the service holds every upload to them again).
const limits = {
  files: Number($("request").dataset.maxFiles),
  fileBytes: Number($("request").dataset.maxFileBytes),
  requestBytes: Number($("request").dataset.maxRequestBytes),
};

const picked = { study: [], leftOut: [], report: null };

function renderFiles() {
  const entries = sending();
  const bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
  $("files-summary").textContent = entries.length === 0 ? "" :
    `${entries.length} file${entries.length === 1 ? "" : "s"} will be sent, ${sizeWords(bytes)} in all.`;
  const list = $("left-out-list");
  list.replaceChildren(...picked.leftOut.map((item) => {
    const row = document.createElement("li");
    const path = document.createElement("span");
    path.className = "path";
    path.textContent = item.path;
    row.append(path, " — " + item.words);
    return row;
  }));
  $("left-out").hidden = picked.leftOut.length === 0;
}

/** Says at once when the files picked exceed the service's limits, before anything is sent. */
function checkLimits() {
  const entries = sending();
  const bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
  const large = entries.find((entry) => entry.size > limits.fileBytes);
  if (entries.length > limits.files) {
    showError(`That is ${entries.length} files; the practice takes at most ${limits.files}. Pick only the folder of this MRI study.`, "files");
  } else if (large) {
    showError(`${large.path} is larger than the practice takes a file (${sizeWords(limits.fileBytes)}).`, "files");
  } else if (bytes > limits.requestBytes) {
    showError(`These files come to ${sizeWords(bytes)}; the practice takes at most ${sizeWords(limits.requestBytes)}. Pick only this MRI study.`, "files");
  } else {
    return true;
  }
  return false;
}

const sending = () => (picked.report ? [picked.report] : []).concat(picked.study);

let pickCount = 0;

/** Sorts the files of a folder or zip (`items()` lists them) and shows what is sent and what is left out. */
async function pickStudy(other, items) {
  const pick = ++pickCount;
  $(other).value = "";
  showError("", "files");
  picked.study = [];
  picked.leftOut = [];
  renderFiles();
  $("files-summary").textContent = "Looking at the files…";
  try {
    const listed = await items();
    const sorted = await survey(listed, limits.fileBytes);
    if (pick !== pickCount) return; // a later pick replaced this one
    picked.study = sorted.send;
    picked.leftOut = sorted.leftOut;
    if (listed.length > 0 && sorted.send.length === 0) {
      showError("Nothing here looks like an MRI study. Pick the folder of the CD or disk that holds the images.", "files");
    }
  } catch (error) {
    showError(error instanceof ZipProblem ? error.message : "These files could not be read. Pick them again.", "files");
  }
  renderFiles();
  checkLimits();
}

const pickFolder = () => pickStudy("study-zip", async () => folderItems([...$("study-folder").files]));
const pickZip = () => pickStudy("study-folder", async () => {
  const file = $("study-zip").files[0];
  return file ? zipMembers(file) : [];
});

async function pickReport() {
  showError("", "report");
  if (isSupplement()) showError("", "files"); // a report alone is something to add
  const file = $("report").files[0];
  picked.report = null;
  if (file) {
    const checkedReport = await checkReport(file);
    if (checkedReport.error) showError(checkedReport.error, "report");
    else picked.report = checkedReport.entry;
  }
  renderFiles();
}

async function newDraft() {
  const response = await fetch("/api/drafts", { method: "POST", credentials: "same-origin", headers: { "X-Opine-CSRF": csrf } });
  if (response.status !== 201) throw await answerError(response);
  const draft = await response.json();
  keepDraft(draft.draft, draft.expires_at, draft.limits);
  return savedDraft();
}

/** Removes the kept uploads of files not in this pick (an earlier pick, before a reload): they are not sent. */
async function dropUnpicked(client, keys) {
  for (const [key, url] of savedUploads()) {
    if (keys.has(key)) continue;
    await client.retrying(() => client.terminate(url));
    forgetUpload(key);
  }
}

/** Sends every entry, `concurrency` at once; resolves with their upload ids when all are complete. */
async function sendAll(draft, entries) {
  const client = new TusClient(csrf, draft.limits?.chunk_bytes ?? 8 * 2 ** 20);
  const keys = await Promise.all(entries.map(fileKey));
  await dropUnpicked(client, new Set(keys));
  const progress = new Progress(entries);
  const queue = entries.map((entry, index) => [entry, keys[index]]);
  const ids = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [entry, key] = next;
      progress.started(entry);
      const url = await client.upload(draft.draft, entry, savedUpload(key), (kept) => keepUpload(key, kept),
        (offset) => progress.advanced(entry, offset), (ms) => progress.waiting(ms));
      ids.push(url.split("/").pop());
      progress.finished(entry);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  return ids;
}

/** Sends the answers (or the note) and the ids of exactly the files picked this time. */
async function submit(draft, uploads) {
  const route = isSupplement() ? "supplement" : "submit";
  const response = await fetch(`/api/drafts/${encodeURIComponent(draft.draft)}/${route}`, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Opine-CSRF": csrf },
    body: JSON.stringify({ ...answers(), uploads }),
  });
  if (response.status !== 201) throw await answerError(response);
  return response.json();
}

async function send(event) {
  event.preventDefault();
  clearErrors();
  const found = problems(sending().length > 0);
  if (found.length > 0 || !checkLimits()) {
    for (const [field, message] of found) showError(message, field);
    focusFirstError();
    return;
  }
  $("send").disabled = true;
  try {
    let draft = savedDraft() ?? (await newDraft());
    let uploads;
    try {
      uploads = await sendAll(draft, sending());
    } catch (error) {
      // The kept draft is gone (expired, or another browser's): start a new one once.
      if (!(error instanceof PageError) || ![403, 404, 410].includes(error.status) || error.field) throw error;
      forget();
      draft = await newDraft();
      uploads = await sendAll(draft, sending());
    }
    const answer = await submit(draft, uploads);
    forget();
    location.assign(isSupplement() ? answer.status_url : answer.receipt_url);
  } catch (error) {
    const message = error instanceof PageError || error instanceof ZipProblem ? error.message : "Something went wrong on this page. Press Send again: the upload continues where it stopped.";
    showError(message, error.field);
    focusFirstError();
    $("send").disabled = false;
  }
}

function start() {
  if (!isSupplement()) watchEmergency();
  // On the add-files page a note alone is something to add: writing one answers "nothing to add".
  else $("question").addEventListener("input", () => showError("", "files"));
  watchCorrections();
  $("study-folder").addEventListener("change", pickFolder);
  $("study-zip").addEventListener("change", pickZip);
  $("report").addEventListener("change", pickReport);
  $("request").addEventListener("submit", send);
  if (savedDraft()) {
    const note = $("resume-note");
    note.textContent = "An earlier upload from this browser was interrupted. Fill in the page and pick the same files again: what already arrived is not sent twice.";
    note.hidden = false;
  }
}

start();
