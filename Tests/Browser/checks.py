"""What every part of the browser test shares: a check that is printed and remembered, and a wait on a condition
with a deadline (never a blind sleep)."""
import time

failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def wait_for(what, condition, seconds=20, every=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # the page may be between states, a file may be half written
            pass
        time.sleep(every)
    check(False, f"timed out after {seconds} s waiting until {what}")
    return None
