"""The headline figures of a small fixed quarter, worked out by hand, read back from the report's
figures, its ranking (with weights) and the PDF's own text."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from reports.domain.ranking import RankingWeights
from reports.services import ReportService
from reports.web import build_service
from tests.integration.reports.pdf_tools import embedded_cjk_fonts, pdf_text
from tests.integration.reports.report_fixtures import AS_OF, HAND, FixedQuarter
from ticketing.domain.kpi import Period, format_rate

Q3 = Period.parse("2026Q3")


@pytest.fixture
async def engine(fixed_quarter: FixedQuarter) -> AsyncEngine:
    engine = make_engine(fixed_quarter.url)
    yield engine
    await engine.dispose()


@pytest.fixture
def service(fixed_quarter: FixedQuarter, engine: AsyncEngine) -> ReportService:
    settings = Settings(database_url=fixed_quarter.url, data_dir=fixed_quarter.folder)
    return build_service(settings, make_sessionmaker(engine), lambda: datetime(2026, 10, 9, 2, 0, tzinfo=UTC))


async def test_each_units_headline_rates_match_the_hand_worked_values(service: ReportService, fixed_quarter: FixedQuarter) -> None:
    figures = await service.source.figures(Q3, AS_OF)
    for key in ("A", "B"):
        unit = figures.unit(fixed_quarter.units[key][0])
        assert unit is not None
        for rate, expected in HAND[key].items():
            assert getattr(unit, rate) == pytest.approx(expected), (key, rate)
    county = figures.county
    assert county.received == HAND["county"]["received"]
    for rate, expected in HAND["county"].items():
        assert getattr(county, rate) == pytest.approx(expected), rate
    by_class = {(f.order_class, f.service): (f.figures.received, f.figures.closed) for f in figures.by_class_service}
    assert by_class == {("complaint", "complaint"): (7, 5), ("suggestion", "suggestion"): (1, 1)}
    # the seat: 4 queued, 3 answered (5 s, 30 s, 10 s), 1 abandoned → 2 of 4 within 20 s
    assert (figures.calls.offered, figures.calls.answered, figures.calls.abandoned) == (4, 3, 1)
    assert figures.calls.service_level == pytest.approx(0.5)
    assert figures.calls.abandonment_rate == pytest.approx(0.25)


async def test_ranking_scores_are_the_weighted_mean_of_the_four_rates_and_a_unit_without_data_is_unranked(
    service: ReportService, fixed_quarter: FixedQuarter
) -> None:
    rows = await service.ranking(Q3, AS_OF)
    by_name = {r.unit_name: r for r in rows}
    a, b, c = (by_name[fixed_quarter.units[k][1]] for k in "ABC")
    # equal weights: A = (75 + 50 + 25 + 66.67) / 4, B = (100 + 100 + 33.33 + 100) / 4
    assert a.score == pytest.approx((75 + 50 + 25 + 200 / 3) / 4, abs=0.01)
    assert b.score == pytest.approx((100 + 100 + 100 / 3 + 100) / 4, abs=0.01)
    assert (b.rank, a.rank) == (1, 2)
    assert c.rank is None and c.score is None and c.figures.returns == 1  # it returned a3, but has no rate
    assert rows[-1].rank is None  # the unranked come last

    service.weights = RankingWeights.parse("on_time_rate=3")
    weighted = {r.unit_name: r for r in await service.ranking(Q3, AS_OF)}
    # on-time counted three times: A = (75 + 3·50 + 25 + 66.67) / 6
    assert weighted[a.unit_name].score == pytest.approx((75 + 150 + 25 + 200 / 3) / 6, abs=0.01)
    assert weighted[b.unit_name].score == pytest.approx((100 + 300 + 100 / 3 + 100) / 6, abs=0.01)


async def test_the_accountability_list_names_returns_overdue_repeats_and_bad_ratings_with_their_trail(
    service: ReportService, fixed_quarter: FixedQuarter
) -> None:
    found = await service.accountability(Q3, AS_OF)
    reasons = {e.order.number: e.reasons_zh for e in found.entries}
    unit_c = fixed_quarter.units["C"][1]
    unit_b = fixed_quarter.units["B"][1]
    assert reasons == {
        "YS2026080300002": ["超期", "差评"],
        "YS2026080300003": [f"退单2次（{unit_b}、{unit_c}）"],
        "YS2026080300004": ["超期"],
        "YS2026080300006": ["被重复投诉"],
    }
    returned = next(e for e in found.entries if e.order.number == "YS2026080300003")
    assert [(t.action_zh, t.reason) for t in returned.trail] == [("派单", None), ("退单", "不属于本单位职责")]
    made = {u.unit_name: u.returns_made for u in found.units}
    assert made[unit_b] == 1 and made[unit_c] == 1


async def test_the_quarterly_pdf_says_the_same_figures_in_an_embedded_chinese_font(
    service: ReportService, tmp_path: Path
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stored, folder = await service.generate("quarterly", Q3, as_of=AS_OF, recommendations="加强退单审核。")
    glyph_warnings = [w for w in caught if "glyph" in str(w.message).lower() or "font" in str(w.message).lower()]
    assert glyph_warnings == []  # matplotlib found the CJK font: no "Glyph … missing from font" boxes
    assert stored.draft is False
    pdf = folder / "report.pdf"
    compact = pdf_text(pdf)
    county = HAND["county"]
    for key in ("response_rate", "on_time_rate", "first_time_rate", "satisfaction_rate", "evaluation_coverage"):
        assert format_rate(county[key]) in compact, key  # 85.7% 66.7% 37.5% 80.0% 83.3%
    assert "共受理工单8件" in compact
    assert "服务水平50.0%" in compact
    assert "加强退单审核。" in compact and "草稿" not in compact
    assert "第1页/共" in compact  # page numbers from the @page counters
    fonts = embedded_cjk_fonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert (folder / "rates.png").stat().st_size > 10_000


async def test_a_calls_stored_transcript_adds_to_its_orders_text_for_the_hot_issues(
    service: ReportService, engine: AsyncEngine
) -> None:
    from sqlalchemy import insert, update

    from asr.adapters.orm import TranscriptionJobRow
    from ticketing.adapters.orm import WorkOrderRow

    at = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(update(WorkOrderRow).where(WorkOrderRow.id == 4).values(call_id="call-4"))
        await conn.execute(insert(TranscriptionJobRow).values(
            call_id="call-4", tracks=[], state="done", next_attempt_at=at, created_at=at, updated_at=at,
            transcript={"text": "坐席：您好。来电人：环评批复一直拖着，项目开不了工。"},
        ))
    texts = {t.number: t.text for t in await service.source.texts(Q3)}
    assert texts["YS2026080300004"].endswith("来电人：环评批复一直拖着，项目开不了工。")
    assert texts["YS2026080300004"].startswith("新生产线的环评审批")
    assert [t.number for t in await service.source.texts(Q3, "suggestion")] == ["YS2026080300008"]


async def test_the_quarterly_report_carries_the_review_loops_own_figures(
    service: ReportService, engine: AsyncEngine, fixed_quarter: FixedQuarter
) -> None:
    """a2 (unit A) was rated dissatisfied on 11 August, rectified and revisited satisfied on 15 August."""
    from sqlalchemy import insert

    from sms_feedback.adapters.orm import ReviewBadReviewRow, ReviewRectificationRow

    opened = datetime(2026, 8, 11, 2, 0, tzinfo=UTC)
    a = fixed_quarter.units["A"][0]
    async with engine.begin() as conn:
        await conn.execute(insert(ReviewRectificationRow).values(
            id=1, workorder_id=2, workorder_number="YS2026080300002", unit_id=a, matter="消防验收进度",
            task="到现场核实并答复", state="closed_satisfied", round=1, due_at=opened, opened_at=opened,
            rectification="已安排现场检查", rectified_at=opened, revisit_rating="satisfied",
            revisited_at=datetime(2026, 8, 15, 2, 0, tzinfo=UTC), updated_at=opened,
        ))
        await conn.execute(insert(ReviewBadReviewRow).values(
            review_id=1, round=0, workorder_id=2, workorder_number="YS2026080300002", unit_id=a,
            rating="dissatisfied", channel="sms", comment="答复敷衍", rated_at=opened,
        ))
    content = await service.content("quarterly", Q3, AS_OF)
    county = content.reviews[-1]
    # the loop's own counts: one bad review, one entry (closed as satisfied), no supervisor closing;
    # unrated after every channel among the quarter's closed orders: b2 (no survey was ever queued)
    assert (
        county.bad_reviews, county.rectifications_opened, county.rectifications_open, county.closed_by_supervisor,
        county.unrated_final,
    ) == (1, 1, 0, 0, 1)
    assert not hasattr(county, "revisit_satisfaction_rate") and not hasattr(county, "evaluation_coverage")
    overview = "".join(content.overview_zh())
    assert "好差评闭环：本期差评1件，新增整改1件（其中未销号0件），督查销号0件；各渠道均未评上的办结工单1件。" in overview
    # one value of each rate, ticketing's (a2 reopened and revisited satisfied; 5 of 6 closed rated)
    assert overview.count("整改回访满意率") == 1 and "整改回访满意率100.0%（目标100%）" in overview
    assert overview.count("评价覆盖率") == 1 and "评价覆盖率83.3%" in overview
    assert "按回访时间" not in overview
