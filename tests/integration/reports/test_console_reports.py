"""The console's report pages: supervisors and admins list, run, annotate and download reports and read
the ranking; unit staff and agents are turned away."""

from __future__ import annotations

from tests.integration.console.console_fixtures import Console
from tests.integration.reports.report_fixtures import AS_OF, load_fixed


async def test_unit_staff_and_agents_may_not_see_reports_or_the_ranking(console: Console) -> None:
    anonymous = await console.client.get("/reports", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/login")
    for login in ("wang.market", "zhao.agent"):
        await console.sign_in(login)
        for path in ("/reports", "/reports/ranking?period=2026Q3", "/reports/ranking.csv?period=2026Q3",
                     "/reports/accountability?period=2026Q3"):
            page = await console.client.get(path)
            assert page.status == 403, (login, path)
        console.client.session.cookie_jar.clear()


async def test_a_supervisor_runs_a_report_now_then_adds_the_recommendations_and_downloads_the_pdf(
    console: Console,
) -> None:
    await load_fixed(console.url)
    await console.sign_in("sun.supervisor")
    empty = await console.client.get("/reports")
    assert empty.status == 200 and "尚无报告" in await empty.text()
    csrf = await console.csrf("/reports")
    run = await console.client.post(
        "/reports/run", data={"csrf_token": csrf, "kind": "monthly", "period": "2026-08"}, allow_redirects=False
    )
    assert run.status == 303 and run.headers["Location"] == "/reports?generated=monthly-2026-08"
    listed = await (await console.client.get(run.headers["Location"])).text()
    assert "2026年8月意见建议汇总" in listed and "草稿（待填写工作建议）" in listed

    annotated = await console.client.post(
        "/reports/run",
        data={"csrf_token": csrf, "kind": "monthly", "period": "2026-08", "recommendations": "建议建立清欠台账。"},
        allow_redirects=False,
    )
    assert annotated.status == 303
    listed = await (await console.client.get("/reports")).text()
    assert "可发布" in listed and "建议建立清欠台账。" in listed

    pdf = await console.client.get("/reports/files/monthly-2026-08/report.pdf")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    html = await console.client.get("/reports/files/monthly-2026-08/report.html")
    assert "建议建立清欠台账。" in await html.text()
    assert (await console.client.get("/reports/files/monthly-2026-08/meta.json")).status == 404
    assert (await console.client.get("/reports/files/monthly-2026-08/..%2F..%2Fhotline.sqlite3")).status == 404

    bad = await console.client.post("/reports/run", data={"csrf_token": csrf, "kind": "quarterly", "period": "2026-08"})
    assert bad.status == 400 and "季度报告需要季度" in await bad.text()


async def test_the_ranking_page_and_its_csv_show_each_rate_and_the_unranked(console: Console) -> None:
    units = await load_fixed(console.url)
    console.clock.at = AS_OF  # running deadlines judged as the hand-worked figures judge them
    await console.sign_in("qian.admin")
    page = await console.client.get("/reports/ranking?period=2026Q3")
    text = await page.text()
    assert page.status == 200 and "2026年第3季度" in text
    assert text.index(units["B"][1]) < text.index(units["A"][1]) < text.index(units["C"][1])
    assert "不参与排名" in text and "83.33" in text and "54.17" in text
    csv = await console.client.get("/reports/ranking.csv?period=2026Q3")
    body = await csv.read()
    assert csv.status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["Content-Disposition"]
    assert body.decode("utf-8-sig").splitlines()[1].startswith(f"1,{units['B'][1]},83.33,")


async def test_the_accountability_page_shows_each_lead_with_its_trail_for_a_custom_range(console: Console) -> None:
    units = await load_fixed(console.url)
    console.clock.at = AS_OF
    await console.sign_in("sun.supervisor")
    page = await console.client.get("/reports/accountability?period=2026-08-01~2026-08-31")
    text = await page.text()
    assert page.status == 200 and "2026-08-01~2026-08-31" in text
    assert f"退单2次（{units['B'][1]}、{units['C'][1]}）" in text
    assert "住建承办人 退单：不属于本单位职责" in text
    assert "YS2026092800001" not in text  # received in September: outside the range
    bad = await console.client.get("/reports/accountability?period=2026-08-31~2026-08-01")
    assert bad.status == 400 and "结束日期须晚于开始日期" in await bad.text()
