#!/usr/bin/python3
"""The request page in a real browser (headless Chromium driven by selenium): starts opine-upload on a free port with
temporary folders, fills the form by keyboard, ticks a red flag and sees the emergency advice at once, picks a
generated CD-like folder and sees what was left out and why, checks that the accessibility tree names every control,
picks a CD as a zip (opened in the page) and sees the same, then uploads each, submits, sees the receipt and finds the
bundle in the drop folder. Then a study of 40 MiB sent in 64 KiB chunks is cut off mid-way twice (resume_checks.py):
the service killed with SIGKILL and started again (the page goes on by itself), and the page reloaded (the re-picked
folder resumes: no upload created twice); each bundle holds every file with its SHA-256. A study whose only image has
no readable header shows its reason in a patient's words (outcome_checks.py). Last, a real opined takes the bundles
in from the service's drop folder and its signed webhooks turn the status pages to "Received" and, for the red-flag
request, "Received — emergency, seen first". From the first status page it adds a report and a note ("Add files")
and finds the supplement. tus must be served: its absence fails. Screenshots of each page go to
--out. About a minute on 2 cores.

Run by Tests/EndToEndTests/Upload/BrowserPageTests.swift (so by `make test`), or by hand:
    /usr/bin/python3 Tests/Browser/upload_page_test.py --bin .build/debug --out .build/browser-screenshots
Exit 0 when every check passed; 1 with the failed checks listed."""
import argparse
import json
import os
import pathlib
import re
import sys
import tempfile
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cd_folder  # noqa: E402
import outcome_checks  # noqa: E402
import resume_checks  # noqa: E402
from checks import check, failures, wait_for  # noqa: E402
from services import Opined, UploadService, free_port  # noqa: E402

PATIENT_DATA = ["Jane", "DOE^JANE", "1968-04-02", "jane@example.org", "405 555 0100", "herniation", "JANE DOE MRI CD"]


def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,1400", "--lang=en-US"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def screenshot(driver, out, name, width=900):
    driver.set_window_size(width, 1400)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 200, 800), 9000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(out / name))
    driver.set_window_size(900, 1400)


def type_date(field, iso):
    """Types a date as a keyboard user does (en-US: month, day, year); sets it by script only if typing cannot."""
    year, month, day = iso.split("-")
    field.send_keys(month + day + year)
    if field.get_attribute("value") != iso:
        field.parent.execute_script("arguments[0].value = arguments[1]", field, iso)


def fill_form(driver):
    find = lambda id: driver.find_element(By.ID, id)
    find("name").send_keys("Jane Q. Doe")
    type_date(find("date_of_birth"), "1968-04-02")
    check(find("date_of_birth").get_attribute("value") == "1968-04-02", "date of birth entered")
    find("email").send_keys("jane@example.org")
    find("phone").send_keys("+1 405 555 0100")
    for box in ["symptoms-sciatica", "regions-lumbar", "prior_treatments-physical_therapy"]:
        find(box).send_keys(Keys.SPACE)
    find("question").send_keys("Is surgery needed for my L4-L5 herniation?")
    find("consent").send_keys(Keys.SPACE)
    check(find("regions-lumbar").is_selected() and find("consent").is_selected(), "checkboxes ticked with the space bar")
    open_errors = [slot.text for slot in driver.find_elements(By.CSS_SELECTOR, ".field-error:not(#err-files)") if slot.text]
    check(not open_errors and find("name").get_attribute("aria-invalid") is None, f"errors go as their fields are corrected: {open_errors}")


def check_empty_send(driver):
    """Send on an empty page: each problem beside its field, announced, and the keyboard on the first one."""
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    said = wait_for("the errors show", lambda: driver.find_element(By.ID, "err-name").text, 5) or ""
    check(said.startswith("Please give your full name"), f"an empty name is said beside it: {said!r}")
    check(driver.find_element(By.ID, "err-consent").text != "", "the missing consent is said beside it")
    check(driver.switch_to.active_element.get_attribute("id") == "name", "the keyboard lands on the first field in error")
    check(driver.find_element(By.ID, "err-name").get_attribute("aria-live") == "polite", "errors are announced")


def check_server_field_error(driver):
    """A phone the page lets through and the service refuses (17 digits): the service's sentence shows beside the
    phone; corrected, Send again continues (every file already arrived) and submits."""
    phone = driver.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys("12345678901234567")
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    said = wait_for("the service's refusal shows beside the phone", lambda: driver.find_element(By.ID, "err-phone").text, 120) or ""
    check(said != "" and "/receipt/" not in driver.current_url, f"the service's 422 is shown beside its field: {said!r}")
    phone.clear()
    phone.send_keys("+1 405 555 0100")


def check_emergency(driver, out):
    alert = driver.find_element(By.ID, "emergency")
    check(alert.get_attribute("role") == "alert" and not alert.is_displayed(), "no emergency box before a red flag")
    driver.find_element(By.ID, "symptoms-saddle_numbness").send_keys(Keys.SPACE)
    shown = wait_for("the emergency advice shows", lambda: alert.is_displayed() and "emergency department" in alert.text, 5)
    check(bool(shown) and "seen first" in alert.text, "ticking saddle numbness shows the emergency advice at once")
    screenshot(driver, out, "request-emergency.png")


def check_files(driver, study, report, input_id="study-folder"):
    """Picks the report and the study (a folder, or a zip with input_id "study-zip") and checks what is left out."""
    driver.find_element(By.ID, "report").send_keys(str(report))
    driver.find_element(By.ID, input_id).send_keys(str(study))
    print(f"      picked the {'zip' if input_id == 'study-zip' else 'folder'}")
    summary = wait_for("the files are sorted", lambda: re.match(r"\d+ files? will be sent", driver.find_element(By.ID, "files-summary").text) and
                       driver.find_element(By.ID, "files-summary").text, 20) or ""
    check(summary.startswith(f"{len(cd_folder.SENT) + 1} files will be sent"), f"summary counts the files: {summary!r}")
    check(driver.find_element(By.ID, "err-files").text == "", "no files error once the study is picked")
    items = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#left-out-list li")]
    for path, words in cd_folder.LEFT_OUT.items():
        check(any(item.startswith(path + " ") and words in item for item in items), f"left out: {path} ({words})")
    check(len(items) == len(cd_folder.LEFT_OUT), f"exactly the litter is left out ({len(items)} items)")
    check(not any(path in item for item in items for path in cd_folder.SENT), "no image or DICOMDIR left out")


def check_accessibility(driver):
    tree = driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})
    controls = {"textbox", "checkbox", "button", "date", "DateTime", "combobox", "searchbox", "spinbutton", "radio"}
    unnamed, seen = [], 0
    for node in tree["nodes"]:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in controls:
            continue
        seen += 1
        if not str(node.get("name", {}).get("value", "")).strip():
            unnamed.append(role)
    check(seen >= 30 and not unnamed, f"accessibility tree: {seen} controls, unnamed: {unnamed}")
    fields = driver.find_elements(By.CSS_SELECTOR, "input, textarea")
    nameless = [field.get_attribute("id") for field in fields if not field.accessible_name.strip()]
    check(len(fields) >= 30 and not nameless, f"{len(fields)} inputs, each with an accessible name (without: {nameless})")
    groups = driver.find_elements(By.CSS_SELECTOR, "fieldset > legend")
    check(len(groups) >= 8, "every group of fields has a legend")


def bundle_manifest(drop, seen):
    """(folder, manifest) of a bundle in the drop folder not in `seen` (whose name is then added to it), or None."""
    for entry in drop.iterdir():
        if entry.name in seen or not (entry / "manifest.json").exists():
            continue
        seen.add(entry.name)
        return entry, json.loads((entry / "manifest.json").read_text())
    return None


def receipt(driver, out, shots):
    """Checks the receipt the page landed on; returns the status link."""
    reference = driver.find_element(By.ID, "reference").text
    check(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", reference) is not None, f"the receipt shows a reference: {reference}")
    check(driver.execute_script("return localStorage.length") == 0, "nothing kept in the browser after the submit")
    screenshot(driver, out, shots + "-receipt.png")
    return driver.find_element(By.ID, "status-link").get_attribute("href")


def upload_and_submit(driver, out, root, seen, shots):
    """Sends the CD picked (with a red flag), checks the receipt, the bundle and the status page; returns the status link."""
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    landed = wait_for("the receipt shows", lambda: "/receipt/" in driver.current_url or driver.find_element(By.ID, "form-error").is_displayed(), 120)
    if not check(bool(landed) and "/receipt/" in driver.current_url, "sent and landed on the receipt"):
        error = driver.find_element(By.ID, "form-error")
        print("      page says:", error.text if error.is_displayed() else "(nothing)")
        screenshot(driver, out, shots + "-failed.png")
        return None
    status = receipt(driver, out, shots)
    _, manifest = wait_for("a bundle is in the drop folder", lambda: bundle_manifest(root / "spool/drop", seen), 20) or (None, None)
    if manifest:
        paths = sorted(f["path"] for f in manifest["files"])
        check(all(any(p.endswith(sent) for p in paths) for sent in cd_folder.SENT), f"the bundle holds the study: {paths}")
        check(not any(name in p for p in paths for name in ["setup.exe", "autorun", "DS_Store", "Thumbs", "viewer", "MACOSX"]), "no litter in the bundle")
        check(any(f["kind"] == "radiology_report" for f in manifest["files"]), "the report is listed as the report")
        check("saddle_numbness" in manifest["request"]["symptoms"], "the red flag reached the manifest")
    driver.get(status)
    check("emergency" in driver.page_source.lower(), "the status page of a red-flag request says emergency")
    screenshot(driver, out, shots + "-status.png")
    if shots == "folder" and manifest:
        add_files(driver, out, root, seen, manifest["submission_id"])
    return status


def add_files(driver, out, root, seen, original):
    """From the status page, "Add files to this request": a report and a note sent as a supplement, back on the status."""
    status_url = driver.current_url
    driver.find_element(By.LINK_TEXT, "Add files to this request").send_keys(Keys.ENTER)
    wait_for("the add-files page shows", lambda: "/add/" in driver.current_url and driver.find_element(By.ID, "send"), 20)
    check(not driver.find_elements(By.ID, "name") and not driver.find_elements(By.ID, "consent"), "the add-files page asks for no details")
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    check(wait_for("nothing to add is said", lambda: driver.find_element(By.ID, "err-files").text, 10) is not None, "an empty send says to pick files or write a note")
    later = root / "later-report.pdf"
    later.write_bytes(b"%PDF-1.4\n% the later report\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    driver.find_element(By.ID, "report").send_keys(str(later))
    wait_for("the report is counted", lambda: driver.find_element(By.ID, "files-summary").text.startswith("1 file will be sent"), 20)
    check(driver.find_element(By.ID, "err-files").text == "", "the nothing-to-add error goes once a report is picked")
    driver.find_element(By.ID, "question").send_keys("My left foot is weaker since last week.")
    screenshot(driver, out, "add-files.png")
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    landed = wait_for("back on the status page", lambda: driver.current_url == status_url or driver.find_element(By.ID, "form-error").is_displayed(), 120)
    if not check(bool(landed) and driver.current_url == status_url, "files added and back on the status page"):
        error = driver.find_element(By.ID, "form-error")
        print("      page says:", error.text if error.is_displayed() else "(nothing)")
        return
    _, manifest = wait_for("a supplement is in the drop folder", lambda: bundle_manifest(root / "spool/drop", seen), 20) or (None, None)
    if manifest:
        check(manifest.get("supplements") == original and manifest["submission_id"] == original + "-s1", "the supplement names the request")
        check(manifest.get("request", {}).get("question") == "My left foot is weaker since last week.", "the note is the supplement's question")
        check([f["kind"] for f in manifest["files"]] == ["radiology_report"], "the added report is listed")
    check(driver.execute_script("return localStorage.length") == 0, "nothing kept in the browser after adding files")


def tus_served(base):
    request = urllib.request.Request(base + "/api/uploads", method="OPTIONS")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return check(answer.headers.get("Tus-Version") == "1.0.0", "the service serves tus 1.0 (OPTIONS /api/uploads)")


def form_checks(driver, base, out, folder, archive, report):
    """The request page before anything is sent: CSRF cookie, errors, keyboard, red flag, files, accessibility."""
    driver.get(base + "/")
    check(any(c["name"] == "opine_csrf" and c.get("httpOnly") for c in driver.get_cookies()), "the CSRF cookie is set")
    check_empty_send(driver)
    fill_form(driver)
    check_emergency(driver, out)
    check_files(driver, folder, report)
    check_files(driver, archive, report, "study-zip")
    check_accessibility(driver)
    screenshot(driver, out, "request.png")
    screenshot(driver, out, "request-phone.png", width=390)
    driver.get(base + "/status/" + "x" * 43)
    check("does not open a request" in driver.page_source, "an unknown status link shows the plain 404 page")
    screenshot(driver, out, "not-found.png")


def red_flag_uploads(driver, base, out, root, seen, folder, archive, report):
    """The CD as a folder (with a field the service refuses, then corrected) and as a zip; the folder's status link."""
    links = []
    for study, input_id, shots in [(folder, "study-folder", "folder"), (archive, "study-zip", "zip")]:
        driver.get(base + "/")
        fill_form(driver)
        driver.find_element(By.ID, "symptoms-saddle_numbness").send_keys(Keys.SPACE)
        check_files(driver, study, report, input_id)
        if input_id == "study-folder":
            check_server_field_error(driver)
        links.append(upload_and_submit(driver, out, root, seen, shots))
    return links[0]


def cut_off_uploads(driver, base, out, root, seen, service, report):
    """The big study cut off by kill -9 and by a reload; every file arrives whole. Returns the first's status link."""
    sent = cd_folder.sent(BIG_IMAGES)
    status = None
    for name, cut_off in [("MRI CD killed", resume_checks.kill_and_resume), ("MRI CD reloaded", resume_checks.reload_and_resume)]:
        folder, _ = cd_folder.make(root, name, images=BIG_IMAGES, image_bytes=1 << 20)
        driver.get(base + "/")
        if not cut_off(driver, service, folder, report, len(sent) + 1, fill_form):
            continue
        link = receipt(driver, out, "resumed-" + name.split()[-1])
        status = status or link
        found = wait_for("the resumed bundle is in the drop folder", lambda: bundle_manifest(root / "spool/drop", seen), 20)
        if found:
            resume_checks.same_bytes(found[0], found[1], folder, sent)
    return status


BIG_IMAGES = 40


def run(driver, arguments, root, service):
    base = f"http://localhost:{service.port}"
    folder, report = cd_folder.make(root)
    copy, _ = cd_folder.make(root, "JANE DOE MRI CD copy")  # its own bytes, so opined does not take the zip as a re-send
    archive = cd_folder.make_zip(root, copy)
    out = arguments.out
    shot = lambda name: screenshot(driver, out, name)
    form_checks(driver, base, out, folder, archive, report)
    if not tus_served(service.base):
        return
    seen = set()
    emergency = red_flag_uploads(driver, base, out, root, seen, folder, archive, report)
    routine = cut_off_uploads(driver, base, out, root, seen, service, report)
    outcome_checks.broken_upload(driver, base, cd_folder.make_broken(root), fill_form, shot)
    opined = Opined(arguments.bin.resolve(), root, service.port)
    try:
        if opined.start():
            for link, headline, red_flag, name in [(emergency, "Received — emergency, seen first", True, "status-emergency.png"),
                                                   (routine, "Received", False, "status-received.png")]:
                if check(link is not None, f"a status link to watch for {headline!r}"):
                    outcome_checks.status_turns(driver, link, headline, red_flag, shot, name)
    finally:
        opined.stop()
        leaked = [secret for secret in PATIENT_DATA if secret in opined.log()]
        check(not leaked, f"no patient data in opined's log (found: {leaked})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, type=pathlib.Path, help="folder of the built opine-upload and opined")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="folder for the screenshots")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="opine-browser-") as temporary:
        root = pathlib.Path(temporary)
        service = UploadService(arguments.bin.resolve(), root, free_port())
        service.start()
        driver = browser()
        try:
            run(driver, arguments, root, service)
        finally:
            driver.quit()
            service.stop()
        leaked = [secret for secret in PATIENT_DATA if secret in service.log()]
        check(not leaked, f"no patient data in the service's log (found: {leaked})")
    print(f"{len(failures)} failed" if failures else "all browser checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("SE_OFFLINE", "true")
    sys.exit(main())
