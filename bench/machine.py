"""What the figures were measured on: CPU, memory, Python, PostgreSQL, SQLite and the date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
from dataclasses import dataclass

import grpc
import psycopg
import sqlalchemy as sa


@dataclass(frozen=True, slots=True)
class Machine:
    date: str
    cpu_count: int
    cpu_model: str
    memory_gib: float
    os: str
    python: str
    postgresql: str
    sqlite: str
    libraries: str
    load: str

    def lines(self) -> list[str]:
        return [
            f"date        {self.date}",
            f"cpu         {self.cpu_count} × {self.cpu_model}",
            f"memory      {self.memory_gib:.1f} GiB",
            f"os          {self.os}",
            f"python      {self.python}",
            f"postgresql  {self.postgresql}",
            f"sqlite      {self.sqlite}",
            f"libraries   {self.libraries}",
            f"load        {self.load} (1/5/15-min load average at the start; other work skews figures)",
        ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _postgresql_version(admin_url: str | None) -> str:
    if admin_url is None:
        return "not used"
    try:
        engine = sa.create_engine(admin_url)
        try:
            with engine.connect() as connection:
                version = str(connection.exec_driver_sql("SHOW server_version").scalar())
                fsync = connection.exec_driver_sql("SHOW fsync").scalar()
                sync = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
                return f"{version} (fsync={fsync}, synchronous_commit={sync})"
        finally:
            engine.dispose()
    except Exception as exc:  # reported, not fatal: the machine info is informational
        return f"unreachable ({type(exc).__name__})"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe(admin_url: str | None) -> Machine:
    return Machine(
        date=dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        cpu_count=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        memory_gib=_memory_gib(),
        os=f"{platform.system()} {platform.release()}",
        python=f"{platform.python_implementation()} {platform.python_version()}",
        postgresql=_postgresql_version(admin_url),
        sqlite=sqlite3.sqlite_version,
        load=_load(),
        libraries=f"grpcio {grpc.__version__}, psycopg {psycopg.__version__}, sqlalchemy {sa.__version__}",
    )
