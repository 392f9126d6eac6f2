import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from sources.common import shaping as sh
from sources.common.windows import clamp_lookback, month_windows, zoom_range

UTC = dt.UTC


def test_typed_page_keeps_unknown_fields_and_raw_values():
    rows = [
        {"id": "a", "date_time": "2021-10-08T16:23:34Z", "charge": "$0.0255", "duration": "00:54",
         "call_id": 7018210229361148737, "name": "Ji Won Lee  ", "brand_new_field": 3},
        {"id": "b", "date_time": "not a time", "charge": "free", "duration": "1:02:03",
         "call_id": "696165649876346057", "name": None},
    ]
    table = sh.rows_to_arrow(
        rows,
        {"id": sh.TEXT, "date_time": sh.TS, "charge": sh.MONEY, "duration": sh.SECONDS,
         "call_id": sh.TEXT, "name": sh.TEXT, "absent": sh.INT},
        keys=["id"],
    )
    data = table.to_pylist()
    assert data[0]["date_time"] == dt.datetime(2021, 10, 8, 16, 23, 34, tzinfo=UTC)
    assert data[0]["charge"] == Decimal("0.0255")
    assert data[0]["duration"] == 54 and data[1]["duration"] == 3723
    # 19-digit call ids stay exact text
    assert [r["call_id"] for r in data] == ["7018210229361148737", "696165649876346057"]
    assert data[0]["name"] == "Ji Won Lee"
    # the unparseable values are kept, not lost
    assert data[1]["date_time"] is None and data[1]["date_time_raw"] == "not a time"
    assert data[1]["charge"] is None and data[1]["charge_raw"] == "free"
    assert data[0]["brand_new_field"] == 3
    assert table.schema.field("absent").type == pa.int64()
    assert table.schema.field("id").nullable is False
    assert table.schema.field("charge").type == sh.MONEY_TYPE


def test_epoch_ms_and_durations():
    assert sh.parse_epoch_ms("1764831298000") == dt.datetime(2025, 12, 4, 6, 54, 58, tzinfo=UTC)
    assert sh.parse_seconds("00:54") == 54
    assert sh.parse_seconds("75:10") == 4510
    with pytest.raises(ValueError):
        sh.parse_seconds("1:xx")


def test_flatten_prefixes_nested_objects():
    row = {"id": 1, "owner": {"id": "o", "name": "n"}, "site": {"id": "s"}, "keep": {"x": 1}}
    assert sh.flatten(row, ["owner", "site"]) == {
        "id": 1, "owner_id": "o", "owner_name": "n", "site_id": "s", "keep": {"x": 1}}


def test_require_key_names_the_place():
    with pytest.raises(sh.InvalidRecord, match="GET /phone/call_logs window .*'id'"):
        sh.require_key({"call_id": "1"}, "id", "GET /phone/call_logs window x..y")


def test_month_windows_cover_range_without_gaps():
    start = dt.datetime(2026, 5, 20, 6, tzinfo=UTC)
    end = dt.datetime(2026, 11, 20, 6, tzinfo=UTC)
    windows = month_windows(start, end, 30)
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert all(w[1] - w[0] <= dt.timedelta(days=30) for w in windows)
    assert zoom_range(*windows[0]) == {"from": "2026-05-20T06:00:00Z", "to": "2026-06-19T05:59:59Z"}


def test_clamp_lookback_warns(caplog):
    now = dt.datetime(2026, 11, 20, tzinfo=UTC)
    clamped = clamp_lookback(dt.datetime(2026, 1, 1, tzinfo=UTC), now, "zoom_phone.call_logs")
    assert dt.datetime(2026, 5, 20, tzinfo=UTC) < clamped < dt.datetime(2026, 5, 21, tzinfo=UTC)
    assert "older than the API keeps" in caplog.text




def test_unknown_nested_fields_become_json_text():
    rows = [{"id": "u1", "phone_numbers": [{"number": "+1", "id": "p"}]}, {"id": "u2", "phone_numbers": []}]
    table = sh.rows_to_arrow(rows, {"id": sh.TEXT})
    assert table.schema.field("phone_numbers").type == pa.string()
    assert table.column("phone_numbers").to_pylist() == ['[{"id": "p", "number": "+1"}]', "[]"]




@pytest.mark.parametrize(
    ("kind", "values", "typed", "raw"),
    [
        # documented JSON types: converted in C, text trimmed like str.strip()
        (sh.TEXT, [" a ", None, "\u00a0b\t", ""], ["a", None, "b", ""], None),
        (sh.INT, [1, None, 2**40], [1, None, 2**40], None),
        (sh.FLOAT, [1, 2.5, None], [1.0, 2.5, None], None),
        (sh.BOOL, [True, None, False], [True, None, False], None),
        # anything else takes the per-value parsers: nothing truncated, nothing lost
        (sh.TEXT, [True, 7, {"b": 1, "a": 2}], ["true", "7", '{"a": 2, "b": 1}'], None),
        (sh.INT, [1.5, "2", True, ""], [None, 2, 1, None], ["1.5", None, None, None]),
        (sh.INT, [2**70], [None], [str(2**70)]),
        (sh.BOOL, [1, "no", 2], [True, False, None], [None, None, "2"]),
        (sh.FLOAT, [True, "1.5"], [1.0, 1.5], None),
    ],
)
def test_columns_convert_exactly(kind, values, typed, raw):
    table = sh.rows_to_arrow([{"v": v} for v in values], {"v": kind})
    assert table.column("v").to_pylist() == typed
    assert (table.column("v_raw").to_pylist() if "v_raw" in table.column_names else None) == raw




def test_undeclared_ids_stay_text_and_constants_fill_every_row():
    rows = [{"id": "a", "new_ext_id": 101, "count": 3}, {"id": "b", "new_ext_id": "0102", "count": 4}]
    table = sh.rows_to_arrow(rows, {"id": sh.TEXT, "source_account": sh.TEXT},
                             constants={"source_account": "acme"})
    assert table.column("new_ext_id").to_pylist() == ["101", "0102"]  # not a number, zero kept
    assert table.schema.field("count").type == pa.int64()  # other undeclared fields are inferred
    assert table.column("source_account").to_pylist() == ["acme", "acme"]
