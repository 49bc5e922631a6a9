"""A real SIP caller (SIPp) dials 12345 and presses keys as RFC 4733 events: the menu hears them.

Needs Debian's sip-tester (`sipp`) and the `caller` endpoint of deploy/asterisk/pjsip.conf on the
Asterisk under test (`HOTLINE_TEST_SIP_TARGET`, default 127.0.0.1:5060).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from callflow.adapters.orm import CallRecordRow
from hotline.db import make_engine, make_sessionmaker
from tests.asterisk.conftest import RealHotline

SCENARIO = Path(__file__).parent / "sipp" / "caller_1_3.xml"
TARGET = os.environ.get("HOTLINE_TEST_SIP_TARGET", "127.0.0.1:5060")


async def test_a_sip_caller_pressing_1_then_3_is_routed_to_the_complaint_seat(
    real_hotline: RealHotline, tmp_path: Path
) -> None:
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("sipp (Debian's sip-tester) is not installed")
    proc = await asyncio.create_subprocess_exec(
        sipp, TARGET, "-sf", str(SCENARIO), "-m", "1", "-i", "127.0.0.1", "-p", "5073", "-mp", "6300",
        "-timeout", "60s", "-timeout_error", "-nostdin",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, output.decode(errors="replace")[-2000:]

    engine = make_engine(real_hotline.settings.database_url)
    try:
        for _ in range(50):  # the record is written in the background, just after the hang-up
            async with make_sessionmaker(engine)() as session:
                records = (await session.execute(select(CallRecordRow))).scalars().all()
            if records and records[0].ended_at is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    (record,) = records
    assert [(s["node"], s["key"], s["outcome"]) for s in record.menu_path] == [
        ("main", "1", "goto:business"),
        ("business", "3", "route:complaint"),
    ]
    assert (record.destination, record.service, record.disposition) == ("complaint", "complaint", "routed-to-seat")
    assert record.caller_number == "13800138000"  # callerid of the `caller` endpoint
    assert record.ended_at is not None
