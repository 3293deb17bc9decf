"""Directory CSV (`docs/roadmap-format.md`): regions, municipalities, organizations.

The whole file is validated before anything is stored; each bad row is reported with its line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.roadmap import ORG_TYPES

COLUMNS = ["id", "region", "municipality", "timezone", "organization", "type"]


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    id: str
    region: str
    municipality: str
    timezone: str
    organization: str
    type: str
    baselines: dict[str, int] = field(default_factory=dict)  # v2: known totals (teachers, students, ...)


class DirectoryError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database from disk: once, not per row


@lru_cache(maxsize=1024)
def _valid_timezone(name: str) -> bool:
    if name not in _known_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


_BASELINE = re.compile(r"[a-z0-9_]+")


def decode_directory(data: bytes, filename: str = "directory.csv") -> str:
    """The file's text: UTF-8 (with or without Excel's BOM), or Windows-1251, which Russian Excel writes
    by «Сохранить как → CSV»; anything else is refused with what to do."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1251", errors="replace")
    if "\ufffd" in text or not re.search("[А-Яа-яЁё]", text):
        raise DirectoryError([f"{filename}: файл не в UTF-8 и не в Windows-1251; сохраните его из Excel как "
                              "«CSV UTF-8 (разделитель — запятая)»"])
    return text


def parse_directory(text: str, filename: str = "directory.csv",
                    default_timezone: str = "Europe/Moscow") -> list[DirectoryRow]:
    """Parse a directory CSV; raise DirectoryError listing every bad line. The separator is a comma, or a
    semicolon, which Russian Excel puts by default."""
    text = text.removeprefix("\ufeff")  # Excel writes a BOM
    problems: list[str] = []
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= len(COLUMNS) - 1 and first.count(",") < len(COLUMNS) - 1 else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DirectoryError([f"{filename}: файл пуст, нужна строка заголовка: {','.join(COLUMNS)}"]) from None
    names = [h.strip() for h in header]
    if names[:len(COLUMNS)] != COLUMNS:
        raise DirectoryError([f"{filename}:1: заголовок должен начинаться с: {','.join(COLUMNS)}"])
    extra = names[len(COLUMNS):]
    bad = [n for n in extra if not _BASELINE.fullmatch(n)]
    if bad or len(set(extra)) != len(extra):
        raise DirectoryError([f"{filename}:1: дополнительные столбцы — базовые значения с именами из строчных латинских "
                              f"букв, цифр и _, без повторов; не подходит: {', '.join(bad) or 'повтор'}"])
    rows: list[DirectoryRow] = []
    seen: dict[str, int] = {}
    zones: dict[tuple[str, str], tuple[str, int]] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            problems.append(f"{filename}:{line}: ожидается {len(names)} столбцов, найдено {len(record)}")
            continue
        baselines: dict[str, int] = {}
        for name, cell in zip(extra, record[len(COLUMNS):], strict=True):
            cell = cell.strip().replace("\u00a0", "").replace(" ", "")
            if not cell:
                continue  # unknown
            if not cell.isdigit():
                problems.append(f"{filename}:{line}: {name}: ожидается целое число ≥ 0 или пусто, а не {cell[:20]!r}")
                continue
            baselines[name] = int(cell)
        row = DirectoryRow(line, *(cell.strip() for cell in record[:len(COLUMNS)]), baselines=baselines)
        if not row.timezone:  # config.toml's default_timezone: «для организаций без часового пояса в справочнике»
            row = replace(row, timezone=default_timezone)
        for column in COLUMNS:
            value = getattr(row, column)
            if not value:
                problems.append(f"{filename}:{line}: пустое значение в столбце {column}")
            elif _CONTROL.search(value):
                # a NUL or an escape sequence in a name ends up in every summary and spreadsheet
                problems.append(f"{filename}:{line}: управляющий символ в столбце {column}")
        if row.id in seen:
            problems.append(f"{filename}:{line}: id {row.id} уже встречался в строке {seen[row.id]}")
        seen.setdefault(row.id, line)
        if row.type and row.type not in ORG_TYPES:
            problems.append(f"{filename}:{line}: тип {row.type!r} неизвестен; допустимо: {', '.join(ORG_TYPES)}")
        if row.timezone and not _valid_timezone(row.timezone):
            problems.append(f"{filename}:{line}: часовой пояс {row.timezone!r} неизвестен (нужно имя IANA, "
                            "например Europe/Moscow)")
        key = (row.region, row.municipality)
        if key in zones and zones[key][0] != row.timezone:
            problems.append(f"{filename}:{line}: для муниципалитета «{row.municipality}» уже указан часовой пояс "
                            f"{zones[key][0]} (строка {zones[key][1]})")
        zones.setdefault(key, (row.timezone, line))
        rows.append(row)
    if problems:
        raise DirectoryError(problems)
    return rows
