"""`pip install .` (not editable) in a fresh venv: every package of the app is in the wheel, with its data, and
the installed bot starts — `--help`, and the sandbox on MAX, from a directory that is not the project."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("bot", "handlers", "storage", "vkemu", "maxemu")



def packages_in_the_project() -> list[str]:
    names = []
    for top in APP_PACKAGES:
        names.append(top)
        names += [m.name for m in pkgutil.walk_packages([str(ROOT / top)], prefix=f"{top}.") if m.ispkg]
    return names


def test_a_built_wheel_installs_and_the_bot_starts(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # no pip of its own (ensurepip takes ~5 s): the project's pip installs into it (`pip --python`)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    build = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(build)], check=True)
    for changed in subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=ROOT, check=True,
                                  capture_output=True, text=True).stdout.split():
        (build / changed).parent.mkdir(parents=True, exist_ok=True)  # the working tree as it is, not only commits
        (build / changed).write_bytes((ROOT / changed).read_bytes())
    # the wheel is built as `pip install .` builds it (setuptools in an isolated build), installed into the fresh venv;
    # the fresh venv sees the dependencies already installed for the project through a .pth line, not the project
    wheels = tmp_path / "wheels"
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                          str(wheels), str(build)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = subprocess.run([sys.executable, "-c", "import aiohttp, os; print(os.path.dirname(os.path.dirname("
                           "aiohttp.__file__)))"], check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "project-deps.pth").write_text(deps + "\n", encoding="utf-8")
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1"}
    wheel = next(wheels.glob("sferum_roadmap_bot-*.whl"))
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                          str(wheel)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    names = packages_in_the_project()
    assert "bot.max" in names and "bot.vk" in names
    probe = ("import importlib, sys\n"
             "for name in sys.argv[2:]:\n"
             "    module = importlib.import_module(name)\n"
             "    assert module.__file__.startswith(sys.argv[1]), (name, module.__file__)\n")
    out = subprocess.run([str(python), "-c", probe, site, *names], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    # MAX's root certificate travels in the wheel (without it no request to MAX passes its TLS check)
    out = subprocess.run([str(python), "-c", "from bot.max.api import tls_context; tls_context()"], cwd=elsewhere,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    out = subprocess.run([str(python), "-m", "bot", "--help"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "sandbox" in out.stdout, out.stderr[-2000:]
    out = subprocess.run([str(python), "-m", "bot", "sandbox", "--messenger", "max", "--db",
                          str(elsewhere / "sb.sqlite3")], cwd=elsewhere, env=env, input=":as 100\n/status\n:quit\n",
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "эмулятор MAX" in out.stdout and "Сводка «Еженедельный мониторинг Сферума»" in out.stdout, out.stdout[-2000:]
