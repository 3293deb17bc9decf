"""Files a stranger crafted: every malformed workbook gets a Russian sentence and applies nothing; a 600 MB body,
a 1 GB zip bomb and a million-row sheet are refused by the running bot with its memory under 300 MB while another
person keeps being answered within 2 s."""

from __future__ import annotations

import asyncio
import base64
import io
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.domain.figures_file import Caps, FileProblem, read_figures
from testkit.processes import bot_env, control, prepare_admins, school_id, vkemu_process, write_config

SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"


def workbook(sheet_xml: str | bytes, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx around one sheet's XML, as Excel lays its parts out."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def rows_xml(rows: list[list[str]]) -> str:
    out = []
    for n, row in enumerate(rows, 1):
        cells = "".join(f'<c r="{chr(65 + i)}{n}" t="inlineStr"><is><t>{v}</t></is></c>' if not v.startswith("=")
                        else f'<c r="{chr(65 + i)}{n}"{v[1:]}</c>' for i, v in enumerate(row))
        out.append(f'<row r="{n}">{cells}</row>')
    return SHEET_HEAD + "".join(out) + SHEET_TAIL


HEADER = ["id", "teachers"]
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
          '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
          '<c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
       '<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')


def lying_zip() -> bytes:
    """A part that declares 1 KB and unpacks to 50 MB: zipfile stops at the declared size and the CRC fails."""
    data = bytearray(workbook(rows_xml([HEADER, ["6624000001", "5"]])))
    big = SHEET_HEAD.encode() + b" " * (50 * 2**20) + SHEET_TAIL.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist():
            z.writestr(info.filename, big if info.filename.endswith("sheet1.xml")
                       else zipfile.ZipFile(io.BytesIO(bytes(data))).read(info.filename))
    out = bytearray(buf.getvalue())
    declared = (50 * 2**20 + len(SHEET_HEAD) + len(SHEET_TAIL)).to_bytes(4, "little")
    while (at := out.find(declared)) != -1:  # the local header's and the central directory's sizes
        out[at:at + 4] = (1024).to_bytes(4, "little")
    return bytes(out)


# each file made by the test that reads it (the 50 MB one is ~0.25 s of CPU: at import, every worker paid it)
MALFORMED: dict[str, Callable[[], bytes]] = {
    "nan.xlsx": lambda: workbook(rows_xml([HEADER, ["6624000001", '= t="n"><v>NaN</v>'], ["6624000002", '= t="n"><v>inf</v>']])),
    "text-in-number.xlsx": lambda: workbook(rows_xml([HEADER, ["6624000001", '= t="n"><v>двадцать</v>']])),
    "broken-xml.xlsx": lambda: workbook(SHEET_HEAD + '<row r="1"><c r="A1"'),
    "xxe.xlsx": lambda: workbook(XXE),
    "laughs.xlsx": lambda: workbook(LAUGHS),
    "not-a-zip.xlsx": lambda: b"PK\x03\x04" + b"\0" * 100,
    "empty.xlsx": lambda: b"",
    "dimension.xlsx": lambda: workbook(rows_xml([HEADER, ["6624000001", "5"]]).replace(
        "<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')),
    "lying-zip.xlsx": lying_zip,
    "long-field.csv": lambda: ("id;teachers\n6624000001;" + "9" * 200_000 + "\n").encode(),
    "nul.csv": lambda: b"id;teachers\n6624\x0000001;5\n",
}


SAID = {  # what the person is told, in part; None: read as a table (the import then judges its rows)
    "nan.xlsx": "В строке 2 ячейка не читается", "text-in-number.xlsx": "В строке 2 ячейка не читается",
    "broken-xml.xlsx": "повреждён", "lying-zip.xlsx": "повреждён", "xxe.xlsx": "XML-сущности",
    "laughs.xlsx": "XML-сущности", "not-a-zip.xlsx": "как таблицу Excel", "empty.xlsx": "как таблицу Excel",
    "long-field.csv": "Строка 2 файла .csv не читается", "dimension.xlsx": None, "nul.csv": None,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_file_is_a_russian_sentence_or_a_table(name: str) -> None:
    try:
        table = read_figures(name, MALFORMED[name]())
    except FileProblem as e:
        assert SAID[name] is not None and SAID[name] in e.message, e.message
        return
    assert SAID[name] is None
    assert [r.cells for r in table.rows] == [["5"]]  # a claimed XFD1048576 is not a million empty cells


def test_caps_are_checked_while_reading() -> None:
    rows = [HEADER] + [[str(6624000000 + n), "1"] for n in range(300)]
    with pytest.raises(FileProblem, match="строк"):
        read_figures("many.xlsx", workbook(rows_xml(rows)), Caps(rows=200))
    with pytest.raises(FileProblem, match="строк"):
        read_figures("many.csv", "\n".join(";".join(r) for r in rows).encode(), Caps(rows=200))
    with pytest.raises(FileProblem, match="столбц"):
        read_figures("wide.csv", ("id;" + ";".join("1" * 1 for _ in range(400)) + "\n").encode(), Caps(columns=300))
    with pytest.raises(FileProblem, match="распаковывается"):
        read_figures("bomb.xlsx", workbook(rows_xml(rows)), Caps(unpacked_bytes=10_000))
    assert len(read_figures("many.xlsx", workbook(rows_xml(rows))).rows) == 300


def zip_bomb(unpacked_mb: int) -> bytes:
    """A real .xlsx whose sheet unpacks to `unpacked_mb` MB of spaces (about 1 MB packed per GB)."""
    buf = io.BytesIO()
    base = workbook(rows_xml([HEADER]))
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename.endswith("sheet1.xml"):
                with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                    part.write(SHEET_HEAD.encode())
                    chunk = b" " * 2**20
                    for _ in range(unpacked_mb):
                        part.write(chunk)
                    part.write(SHEET_TAIL.encode())
            else:
                z.writestr(info.filename, src.read(info.filename))
    return buf.getvalue()


def million_rows() -> bytes:
    """A million rows of two numbers each: small packed (the rows repeat), huge when read."""
    buf = io.BytesIO()
    base = workbook(rows_xml([HEADER]))
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED,
                                                                     compresslevel=9) as z:
        for info in src.infolist():
            if info.filename.endswith("sheet1.xml"):
                with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                    part.write((SHEET_HEAD + '<row><c t="inlineStr"><is><t>id</t></is></c>'
                                '<c t="inlineStr"><is><t>teachers</t></is></c></row>').encode())
                    row = b'<row><c t="n"><v>6624000001</v></c><c t="n"><v>1</v></c></row>' * 1000
                    for _ in range(1000):
                        part.write(row)
                    part.write(SHEET_TAIL.encode())
            else:
                z.writestr(info.filename, src.read(info.filename))
    return buf.getvalue()


def rss_mb(pid: int) -> float:
    """The process's resident memory with its children's (the file reader runs in one)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(rss_mb(int(child)) for child in children)


@pytest.mark.process
def test_huge_files_leave_the_bot_small_and_others_answered(tmp_path: Path) -> None:
    assert zlib  # deflate does the packing
    db_path = tmp_path / "bot.sqlite3"
    asyncio.run(prepare_admins(db_path, 1, 500, shift_to_now=True))
    asyncio.run(_grant_coordinator(db_path, 900))
    files = {"bomb.xlsx": zip_bomb(1024), "rows.xlsx": million_rows()}
    with vkemu_process() as base:
        env = bot_env(write_config(tmp_path / "config.toml", base, db_path))
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            control(base, "add_user", {"user_id": 500, "allowed": True})
            control(base, "add_user", {"user_id": 900, "allowed": True})
            deadline = time.monotonic() + 30
            while not control(base, "stats")["lp_waiting"]:  # type: ignore[index]  # the bot is polling
                assert time.monotonic() < deadline and bot.poll() is None, "the bot did not start"
                time.sleep(0.05)
            peak, stop = [rss_mb(bot.pid)], threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak.append(rss_mb(bot.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            waits: list[float] = []
            coordinator_seen = 0
            try:
                sends = [("stream.xlsx", {"stream_mb": 600})] + [
                    (name, {"b64": base64.b64encode(data).decode()}) for name, data in files.items()]
                for name, how in sends:
                    control(base, "say_file", {"user_id": 900, "name": name, **how})
                    for _ in range(3):  # meanwhile a school admin is answered at once
                        seen = len(control(base, "record", {"peer_id": 500}))  # type: ignore[arg-type]
                        started = time.monotonic()
                        control(base, "say", {"user_id": 500, "text": "/help"})
                        control(base, "wait_delivered", {"peer_id": 500, "count": seen + 1, "limit_s": 20})
                        waits.append(time.monotonic() - started)
                    got = control(base, "wait_delivered", {"peer_id": 900, "count": coordinator_seen + 1,
                                                           "limit_s": 120, "since": coordinator_seen})
                    coordinator_seen += len(got)  # type: ignore[arg-type]
                    said = " ".join(m["text"] for m in got)  # type: ignore[index, union-attr]
                    assert "Применить" not in said and ("МБ" in said or "строк" in said), (name, said)
            finally:
                stop.set()
                sampler.join()
            assert max(waits) < 2.0, waits
            assert max(peak) < 300, max(peak)
            print(f"peak RSS {max(peak):.0f} MB, other person's slowest reply {max(waits):.2f} s")
        finally:
            bot.terminate()
            _, err = bot.communicate(timeout=30)
        assert b"Traceback" not in err, err.decode()[-3000:]


async def _grant_coordinator(db_path: Path, person: int) -> None:
    from storage.db import Database
    from storage.directory import DirectoryRepo
    from storage.people import PeopleRepo

    db = await Database.open(db_path)
    muni = (await DirectoryRepo(db).organizations([school_id(0)]))[school_id(0)].municipality_id
    async with db.transaction():
        await PeopleRepo(db).upsert_person(person, "Координатор", "Тест")
        await PeopleRepo(db).grant(person, "municipality", str(muni))
    await db.close()
