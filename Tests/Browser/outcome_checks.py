"""What the patient sees after a submit: with a real opined taking the bundles in and announcing them to the service,
the status page turns to the words for `received` (and for a red-flag request its emergency words, as Core's
PatientStatusWords says); a study the service cannot make a bundle of shows its reason in words a patient can act on."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from checks import check, wait_for

# Words meant for the command line or for staff, never for a patient.
NOT_FOR_PATIENTS = re.compile(r"--|opined|opine pack|imaging_unreadable|intake\.|max_files|pack again|bundle")


def status_turns(driver, url, headline, emergency, screenshot, name):
    """Reloads the status page until its heading is `headline` (opined's webhook arrived), then checks the words."""
    driver.get(url)

    def shows():
        driver.refresh()
        return driver.find_element(By.ID, "headline").text == headline

    turned = wait_for(f"the status page says {headline!r}", shows, 60, 0.3)
    check(bool(turned), f"with a real opined the status page turned to {headline!r}")
    page = driver.find_element(By.TAG_NAME, "main").text
    advice = "Go to an emergency department now" in page
    check(advice == emergency, f"the emergency advice is {'shown' if emergency else 'absent'} on the status page")
    screenshot(name)


def broken_upload(driver, base, study, fill_form, screenshot):
    """A study whose only DICOM file has no readable header, without a report: Send shows why, for a patient."""
    driver.get(base + "/")
    fill_form(driver)
    driver.find_element(By.ID, "study-folder").send_keys(str(study))
    wait_for("the broken study is sorted", lambda: driver.find_element(By.ID, "files-summary").text.startswith("1 file will be sent"), 20)
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)

    def reason():
        form = driver.find_element(By.ID, "form-error")
        return (form.text if form.is_displayed() else "") or driver.find_element(By.ID, "err-files").text

    said = wait_for("the page shows why the study was refused", reason, 60) or ""
    check("/receipt/" not in driver.current_url and said != "", f"a broken study is refused with a reason: {said!r}")
    check(not NOT_FOR_PATIENTS.search(said), f"the reason has no words meant for the command line or staff: {said!r}")
    check("images" in said and "imaging centre" in said, f"the reason says what is wrong and what to do: {said!r}")
    screenshot("broken-upload.png")
