"""The main pages in a real browser under the app's Content-Security-Policy."""

from __future__ import annotations

import re

from browser_helpers import VENDOR, screenshot


def _no_errors(page) -> None:
    assert page.errors == [], page.errors


def test_scorecard_shows_demo_data(page_of, served) -> None:
    page = page_of("ada")
    rows = page.locator("#scorecard tbody tr")
    assert rows.count() >= 10
    assert page.locator("#scorecard a", has_text="Service level").count() == 1
    assert page.locator(".badge.met, .badge.missed, .badge.warning").count() > 0
    assert page.locator("#scorecard svg polyline").count() > 0
    page.select_option("select[name=by]", "vendor")  # HTMX swaps the scorecard in place
    page.wait_for_url(re.compile(r"by=vendor"))
    page.wait_for_selector("#scorecard th:text('vendor')")
    vendors = set(page.locator("#scorecard tbody tr td:nth-child(3)").all_inner_texts())
    assert {VENDOR, "Northstar BPO"} <= vendors
    page.select_option("select[name=by]", "")
    page.wait_for_url(re.compile(r"by=(&|$)"))
    screenshot(page, "web-scorecard.png")
    _no_errors(page)


def test_drill_into_metric(page_of, served) -> None:
    page = page_of("ada")
    page.click("#scorecard a:text('Service level')")
    page.wait_for_selector("#control-chart[data-drawn=true] canvas")
    page.wait_for_selector("#trend-chart[data-drawn=true] canvas")
    page.click(".drill a:text('channel')")
    page.wait_for_selector("#breakdown tbody tr")
    page.wait_for_selector("#trend-chart[data-drawn=true] canvas")
    page.wait_for_selector("#control-chart[data-drawn=true] canvas")
    screenshot(page, "web-metric.png")
    page.click(".drill a:text('queue')")
    page.wait_for_selector("#breakdown tbody tr")
    first = page.locator("#breakdown tbody tr a").first
    queue = first.inner_text()
    first.click()
    page.wait_for_selector(f".filters .chip:text('queue = {queue}')")
    page.wait_for_selector("#control-chart[data-drawn=true] canvas")
    _no_errors(page)


def test_enter_qa_evaluation(page_of, served) -> None:
    page = page_of("quinn")
    page.goto(served.url + "/qa/evaluations/new")
    page.select_option("select[name=form]", "voice@1")
    page.click("button:text('Use this form')")
    page.fill("input[name=agent_id]", served.agent_id)
    page.fill("input[name=evaluation_id]", "browser-eval-1")
    radios = sorted(set(page.locator(".item input[type=radio]").evaluate_all(
        "els => els.map(e => e.name)")))
    page.check(f"input[type=radio][name='{radios[0]}'][value=yes]")
    page.click("button:text('Save evaluation')")
    # the unanswered required items are marked inline; the answer given is kept
    assert page.locator(".item.invalid").count() > 0
    assert page.locator(".field-error", has_text="required").count() > 0
    assert page.is_checked(f"input[type=radio][name='{radios[0]}'][value=yes]")
    screenshot(page, "web-qa-entry.png")
    page.errors.clear()  # the refused entry answered 400, as it should
    for name in radios:
        page.check(f"input[type=radio][name='{name}'][value=yes]")
    for select in page.locator(".item select").all():
        values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
        select.select_option(next(v for v in values if v and v != "na"))
    for number in page.locator(".item input[type=number]").all():
        number.fill(number.get_attribute("max"))
    page.click("button:text('Save evaluation')")
    page.wait_for_load_state()
    assert page.locator(".error").count() == 0, page.locator(".error").inner_text()
    page.locator(".notice", has_text="browser-eval-1").wait_for()
    _no_errors(page)


def test_create_and_advance_action(page_of, served) -> None:
    page = page_of("ada")
    page.click("nav a:text('Actions')")
    page.fill("input[name=title]", "Billing queue wait too long")
    page.select_option("select[name=metric]", "service_level")
    page.select_option("select[name=scope_dim]", "vendor")
    page.fill("input[name=scope_value]", VENDOR)
    page.fill("input[name=owner]", "ops lead")
    page.fill("textarea[name=problem]", "Service level on billing below target since "
              "the tariff change; callers wait through the lunch peak.")
    page.click("button:text('Create action')")
    page.wait_for_selector("#action-state:text('open')")
    for state in ("analysing", "acting", "verifying"):
        page.click(f"form.transition button:text-is('{state}')")
        page.wait_for_selector(f"#action-state:text-is('{state}')")
        if state == "acting":
            screenshot(page, "web-action-detail.png")
    page.click("form.transition button:text-is('closed-effective')")
    page.wait_for_selector("#action-state:text-is('closed-effective')")
    page.click(".crumbs a")
    assert page.locator("#actions tr", has_text="Billing queue wait too long").count() == 1
    screenshot(page, "web-actions.png")
    _no_errors(page)


def test_vendor_user_sees_only_its_vendor(page_of, served) -> None:
    page = page_of("vic")
    assert page.locator(".who .scope").inner_text() == f"vendor={VENDOR}"
    page.goto(served.url + "/?by=vendor")
    vendors = set(page.locator("#scorecard tbody tr td:nth-child(3)").all_inner_texts())
    assert vendors == {VENDOR}
    page.goto(served.url + "/metrics/aht?by=vendor")
    assert set(page.locator("#breakdown tbody tr td:first-child").all_inner_texts()) == {
        VENDOR}
    page.goto(served.url + "/actions")
    for scope in page.locator("#actions tbody tr td:nth-child(4)").all_inner_texts():
        assert scope == f"vendor = {VENDOR}"
    _no_errors(page)
    response = page.goto(served.url + "/actions/1")  # the demo's action on a program
    assert response.status == 404


def test_api_docs_render_offline(browser, served) -> None:
    """Swagger UI draws the API from the app's own files: any request to another origin
    fails the test (the machines may be offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere = []
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"),
                  lambda route: (elsewhere.append(route.request.url), route.abort()))
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(served.url + "/api/docs")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/metrics']")
    assert page.locator(".opblock").count() >= 10
    assert elsewhere == [] and errors == [], (elsewhere, errors)
    context.close()
