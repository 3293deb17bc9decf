"""Line numbers for keys of a TOML file, which tomllib does not give.

Operators write roadmap files by hand, so every error must name the line. We scan the text
for table headers and `key =` assignments and index them by their path in the parsed
document, e.g. ("form", 0, "indicator", 1, "max").
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")

Path = tuple[str | int, ...]


def key_lines(text: str) -> dict[Path, int]:
    """Map each table, array-of-tables element and key to the 1-based line that defines it."""
    lines: dict[Path, int] = {}
    counters: dict[Path, int] = {}
    current: Path = ()
    depth = 0  # open brackets of a multi-line array value
    in_multiline_string = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_multiline_string:
            if '"""' in line or "'''" in line:
                in_multiline_string = False
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        header = _HEADER.match(line)
        if header and not _ASSIGN.match(line):
            names = [n.strip().strip('"') for n in header.group(2).split(".")]
            is_array = header.group(1) == "[["
            path: Path = ()
            # Resolve parents: an array-of-tables parent refers to its latest element.
            for i, name in enumerate(names):
                path = path + (name,)
                last = i == len(names) - 1
                if (not last or is_array) and path in counters:
                    if last:
                        counters[path] += 1
                    path = path + (counters[path],)
                elif last and is_array:
                    counters[path] = 0
                    path = path + (0,)
            current = path
            lines.setdefault(current, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = assign.group(1).strip('"')
            lines.setdefault(current + (key,), number)
            value = line[assign.end():]
            if value.count('"""') == 1 or value.count("'''") == 1:
                in_multiline_string = True
            depth = max(0, _bracket_balance(value))
    return lines


def _bracket_balance(fragment: str) -> int:
    balance, quote = 0, ""
    for ch in fragment:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            balance += 1
        elif ch == "]":
            balance -= 1
    return balance


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest defined ancestor."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


# tomllib's messages, in the Russian an operator reads (the rest keep their English after a Russian lead)
_TOML_WORDS = [
    ("Invalid value", "недопустимое значение"),
    ("Expected '=' after a key in a key/value pair", "после ключа нужен знак «=»"),
    ("Unclosed array", "не закрыт список «]»"),
    ("Unclosed inline table", "не закрыта таблица «}»"),
    ("Unterminated string", "не закрыта строка (кавычка)"),
    ("Invalid statement", "непонятная строка"),
    ("Cannot overwrite a value", "ключ задан второй раз"),
    ("Cannot declare", "таблица объявлена второй раз:"),
    ("Illegal character", "недопустимый символ"),
    ("Invalid date or datetime", "недопустимая дата"),
    ("Invalid initial character for a key part", "ключ начинается с недопустимого символа"),
    ("Expected newline or end of document after a statement", "после значения ожидается конец строки"),
    ("Found invalid character in unquoted key", "недопустимый символ в ключе"),
    ("at end of document", "в конце файла"),
]
_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_problem(error: Exception) -> str:
    """A TOMLDecodeError said in Russian: what is wrong and where."""
    text = _AT.sub(lambda m: f"(строка {m.group(1)}, столбец {m.group(2)})", str(error))
    for english, russian in _TOML_WORDS:
        text = text.replace(english, russian)
    return f"ошибка синтаксиса TOML: {text}"
