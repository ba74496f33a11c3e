"""Course staff in Chromium: sign in, find an attempt, add time (the learner's open page
follows), grant allowances from a CSV file, review."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from proctoring.allowances.models import Allowance
from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from tests.web.browser.conftest import sign_in
from tests.web.conftest import COURSE_ID, PASSWORD


def _sign_in_with_the_form(page, live_server, username):
    page.goto(f"{live_server.url}/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_find_an_attempt_and_add_time_that_the_learner_sees(browser, live_server, world):
    learner_context = browser.new_context()
    sign_in(learner_context, live_server, world.learner)
    learner = learner_context.new_page()
    learner.goto(f"{live_server.url}/exams/{world.exam.pk}")
    learner.get_by_role("button", name="Start my exam").click()
    expect(learner.get_by_role("timer")).to_have_text(re.compile(r"^00:5\d:\d\d$"))

    staff_context = browser.new_context()
    staff = staff_context.new_page()
    _sign_in_with_the_form(staff, live_server, "staff")
    expect(staff.get_by_role("heading", name="Courses you manage")).to_be_visible()
    staff.get_by_role("link", name="Web Course").first.click()
    staff.get_by_label("Learner (username or email starts with)").fill("learn")
    expect(staff.locator("#attempt-results")).to_contain_text("1 attempt")
    expect(staff).to_have_url(re.compile(r"q=learn"))  # the filter is in the address
    staff.locator("#attempt-results").get_by_role("link", name="learner").click()
    staff.get_by_label("Minutes").fill("20")
    staff.get_by_label("Reason").first.fill("power cut")
    staff.get_by_role("button", name="Add time").click()
    expect(staff.get_by_text("20 minutes added.")).to_be_visible()
    expect(staff.get_by_role("cell", name=re.compile("power cut"))).to_be_visible()
    expect(learner.get_by_role("timer")).to_have_text(re.compile(r"^01:1\d:\d\d$"), timeout=3000)
    learner_context.close()
    staff_context.close()


def test_staff_grant_allowances_from_a_csv_file(browser, live_server, world, tmp_path):
    csv_file = tmp_path / "allowances.csv"
    csv_file.write_text(
        "username,exam,key,value\n"
        "learner,midterm,additional_time_granted,30\n"
        "ghost,midterm,additional_time_granted,30\n"
    )
    context = browser.new_context()
    sign_in(context, live_server, world.staff)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/courses/{COURSE_ID}/allowances")
    page.locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 row can be granted.")).to_be_visible()
    expect(page.get_by_text("There is no user 'ghost'.")).to_be_visible()
    page.get_by_role("button", name="Grant the valid rows").click()
    expect(page.get_by_text("1 allowances granted.")).to_be_visible()
    expect(page.get_by_role("cell", name="Additional time (minutes)", exact=True)).to_be_visible()
    assert Allowance.objects.get(user=world.learner).value == "30"
    context.close()


def test_staff_review_a_submitted_attempt(browser, live_server, world):
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, start=True
    )
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    context = browser.new_context()
    sign_in(context, live_server, world.staff)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/courses/{COURSE_ID}/attempts")
    page.get_by_label("Status").select_option("submitted")
    expect(page.locator("#attempt-results")).to_contain_text("1 attempt")
    page.locator("#attempt-results").get_by_role("link", name="learner").click()
    page.get_by_label("Verdict").select_option("verified")
    page.get_by_role("button", name="Give the verdict").click()
    expect(page.get_by_text("Reviewed: the attempt is verified.")).to_be_visible()
    assert Attempt.objects.get(pk=attempt.pk).status == "verified"
    context.close()
