"""A study big enough to take several seconds (the service takes 64 KiB chunks), cut off mid-way twice: once by
SIGKILL of the service, started again on the same port (the page retries, asks where each upload stands and goes
on), once by a reload of the page (the patient fills the form again and re-picks the folder; the uploads kept in
localStorage resume instead of starting again)."""
import hashlib
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from checks import check, wait_for

PROGRESS = "const bar = document.getElementById('total-progress'); return bar.max > 1 ? bar.value / bar.max : 0"


def sent_fraction(driver):
    return driver.execute_script(PROGRESS)


def pick(driver, folder, report, files):
    driver.find_element(By.ID, "report").send_keys(str(report))
    driver.find_element(By.ID, "study-folder").send_keys(str(folder))
    summary = wait_for("the big study is sorted", lambda: driver.find_element(By.ID, "files-summary").text.startswith(f"{files} files will be sent"), 30)
    check(bool(summary), f"{files} files of the big study will be sent")


def wait_mid_way(driver, what):
    """Waits until some, not all, of the bytes have arrived (the server's offsets, as the page shows them)."""
    fraction = wait_for(f"{what}: some but not all bytes have arrived", lambda: 0.1 <= sent_fraction(driver) <= 0.7 and sent_fraction(driver), 60, 0.02)
    return check(bool(fraction), f"{what}: cut off with {fraction or 0:.0%} sent")


def creations(log):
    """How many uploads the service created (tus creation answered 201), from its route lines."""
    return sum(1 for line in log.splitlines() if "method=POST" in line and re.search(r"route=/api/uploads\b(?!/)", line) and "status=201" in line)


def heads(log):
    return sum(1 for line in log.splitlines() if "method=HEAD" in line and "route=/api/uploads/" in line and "status=200" in line)


def kill_and_resume(driver, service, folder, report, files, fill_form):
    """Send, SIGKILL the service mid-way, start it again: the page goes on by itself and lands on the receipt."""
    fill_form(driver)
    pick(driver, folder, report, files)
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    if not wait_mid_way(driver, "kill -9"):
        return False
    service.kill()
    dropped = wait_for("the page says the connection dropped", lambda: "connection dropped" in driver.find_element(By.ID, "total-words").text, 15, 0.02)
    check(bool(dropped), "the page says the connection dropped and that it will try again")
    check(bool(service.start()), "opine-upload started again on the same port and configuration")
    landed = wait_for("the page finishes on its own and shows the receipt", lambda: "/receipt/" in driver.current_url, 90, 0.1)
    return check(bool(landed), "after the service came back the page finished on its own and landed on the receipt")


def reload_and_resume(driver, service, folder, report, files, fill_form):
    """Send, reload the page mid-way, fill it in and re-pick the same folder: the uploads resume (HEAD), none is
    created twice."""
    before = len(service.log())
    fill_form(driver)
    pick(driver, folder, report, files)
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    if not wait_mid_way(driver, "reload"):
        return False
    at_reload = len(service.log())
    driver.refresh()
    note = wait_for("the page offers to resume", lambda: driver.find_element(By.ID, "resume-note").is_displayed(), 10)
    check(bool(note), "after the reload the page says the earlier upload continues")
    fill_form(driver)
    pick(driver, folder, report, files)
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)
    landed = wait_for("the resumed upload shows the receipt", lambda: "/receipt/" in driver.current_url, 90, 0.1)
    check(bool(landed), "after the reload the re-picked folder was sent and the receipt shows")
    log = service.log()
    first, again = creations(log[before:at_reload]), creations(log[at_reload:])
    # A creation the reload cut off before the page kept its URL is made again: at most one per worker (three).
    check(again < files and first + again <= files + 3,
          f"the uploads kept before the reload resumed, not created again: {first} created before it, {again} after, for {files} files")
    check(heads(log[at_reload:]) >= 1, f"the page asked the service where the kept uploads stood (HEAD): {heads(log[at_reload:])}")
    return bool(landed)


def same_bytes(bundle, manifest, folder, sent):
    """Every file of `sent` (paths in `folder`) is in the bundle, found by its path's end, with its own SHA-256 on disk
    and in the manifest."""
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    wrong = []
    for relative in sent:
        source = folder / relative
        path = next((p for p in listed if p == relative or p.endswith("/" + relative)), None)
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if path is None or listed[path] != digest or hashlib.sha256((bundle / path).read_bytes()).hexdigest() != digest:
            wrong.append(relative)
    return check(not wrong, f"the bundle holds every file of the study with its SHA-256 (wrong or missing: {wrong[:5]})")
