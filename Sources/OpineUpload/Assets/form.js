// The request form: the emergency advice the moment a red-flag symptom is ticked, the answers as the submit route
// takes them (docs/upload.md), and each error shown and announced beside its field. The add-files page
// (`data-mode="supplement"` on the form) has only the pickers and a note: no patient, consent or symptoms.

const $ = (id) => document.getElementById(id);
const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);

/** The server's field names (`patient.email`, `consent.hipaa_authorization`) → the page's error slots. */
const slotAliases = { hipaa_authorization: "consent", signed_at: "consent", contact: "contact", files: "files" };

/** Shows or hides the emergency advice: shown at once when any emergency symptom is ticked. */
export function watchEmergency() {
  const box = $("emergency");
  const update = () => {
    const emergency = document.querySelector('input[data-emergency="true"]:checked') !== null;
    if (emergency && box.childElementCount === 0) {
      const p = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = box.dataset.words;
      p.append(strong);
      box.append(p);
    } else if (!emergency) {
      box.replaceChildren();
    }
  };
  for (const input of document.querySelectorAll('input[name="symptoms"]')) input.addEventListener("change", update);
  update();
}

/** Clears a field's error (and its group's) as soon as the patient changes it, so only open problems stay shown. */
export function watchCorrections() {
  const clear = (event) => {
    const owners = [event.target, event.target.closest("fieldset")].filter(Boolean);
    for (const owner of owners) {
      owner.removeAttribute("aria-invalid");
      for (const id of (owner.getAttribute("aria-describedby") || "").split(/\s+/)) {
        if (id.startsWith("err-") && !["err-files", "err-report"].includes(id)) $(id).textContent = "";
      }
    }
  };
  $("request").addEventListener("input", clear);
  $("request").addEventListener("change", clear);
}

/** The slot for a server field name, or null. */
function slotFor(field) {
  const last = String(field).split(".").pop().replace(/\[\d+\]$/, "");
  const name = slotAliases[last] ?? last;
  return $("err-" + name);
}

/** Clears every field error. */
export function clearErrors() {
  for (const slot of document.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of document.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const formError = $("form-error");
  formError.hidden = true;
  formError.textContent = "";
}

/** Shows `message` beside `field` (a server or page field name), or above the button when no slot fits. */
export function showError(message, field = null) {
  const slot = field ? slotFor(field) : null;
  if (slot) {
    slot.textContent = message;
    const input = document.querySelector(`[aria-describedby~="${slot.id}"]`);
    if (input && message !== "") input.setAttribute("aria-invalid", "true");
    else if (input) input.removeAttribute("aria-invalid");
    return;
  }
  const formError = $("form-error");
  formError.textContent = message;
  formError.hidden = false;
}

/** Moves the keyboard to the first field in error, so a keyboard or screen-reader user lands on it. */
export function focusFirstError() {
  const first = document.querySelector("input[aria-invalid], textarea[aria-invalid]");
  if (first) first.focus();
}

const isFuture = (value) => value !== "" && value > new Date().toISOString().slice(0, 10);

/** Whether this is the add-files page (files added to a request already sent) rather than a new request. */
export const isSupplement = () => $("request").dataset.mode === "supplement";

/** The problems the page can see itself, as [field, sentence]; the service checks everything again. */
export function problems(haveFiles) {
  const found = [];
  if (isSupplement()) {
    if (!haveFiles && $("question").value.trim() === "") found.push(["files", "Pick the files to add, or write a note for the surgeon."]);
    return found;
  }
  if ($("name").value.trim() === "") found.push(["name", "Please give your full name."]);
  const born = $("date_of_birth").value;
  if (born === "" || isFuture(born)) found.push(["date_of_birth", "Please give your date of birth."]);
  const email = $("email").value.trim(), phone = $("phone").value.trim();
  if (email === "" && phone === "") found.push(["contact", "Please give an e-mail address or a phone number, so the practice can answer you."]);
  if (email !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) found.push(["email", "This e-mail address looks incomplete."]);
  if (phone !== "" && !/^[0-9 +\-().]{7,40}$/.test(phone)) found.push(["phone", "Please give the phone number with digits only (spaces, + - ( ) . allowed)."]);
  if (checked("regions").length === 0) found.push(["regions", "Please tick the part of your spine the MRI shows."]);
  if ($("question").value.trim() === "") found.push(["question", "Please write your question for the surgeon."]);
  if (isFuture($("symptom_onset").value)) found.push(["symptom_onset", "The date the symptoms started cannot be in the future."]);
  if (!haveFiles) found.push(["files", "Please pick the MRI folder or zip, or the report."]);
  if (!$("consent").checked) found.push(["consent", "Please tick the consent box: the practice cannot look at your MRI without it."]);
  return found;
}

/** The answers the submit route takes (docs/upload.md); optional fields left out when empty. On the add-files page:
 * the status link's token and the note as the supplement's `request.question`. */
export function answers() {
  if (isSupplement()) {
    const body = { supplements_token: $("request").dataset.token };
    const note = $("question").value.trim();
    if (note !== "") body.request = { question: note };
    return body;
  }
  const patient = { name: $("name").value.trim(), date_of_birth: $("date_of_birth").value };
  const email = $("email").value.trim(), phone = $("phone").value.trim();
  if (email !== "") patient.email = email;
  if (phone !== "") patient.phone = phone;
  const request = { regions: checked("regions"), question: $("question").value.trim(), symptoms: checked("symptoms") };
  if ($("symptom_onset").value !== "") request.symptom_onset = $("symptom_onset").value;
  const treatments = checked("prior_treatments");
  if (treatments.length > 0) request.prior_treatments = treatments;
  return { patient, consent: { hipaa_authorization: $("consent").checked }, request };
}
