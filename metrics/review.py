"""The review report the office used to type by hand (issue 12): báo cáo sơ kết of a quarter, tổng kết of a
year, written from the engine's figures and the units' own words (sheet `Tình hình`).

`review_document` gathers everything for one scope, window and as-of date and writes it as a `Document`
(metrics/docx_writer.py): the Party-document frame (issuing body, date line, title, Nơi nhận, signature)
and the body as blocks (headings, paragraphs, dash items, tables), which the writer lays out in Word;
nothing here knows about Word. Every figure comes from `engine.compute` for exactly that scope, window and as-of date
(the activities of a quarter are that quarter's, the indicators year to date, as everywhere); the change
against the same period last year from `compute` for the year before, as of the same day a year earlier.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.auth import EXPORT, Principal, authorize_unit, require
from core.clock import today
from core.config import committee_of, load_config
from core.text import QUARTER_LABELS, date_line, fmt_auto, fmt_date, fmt_target, fmt_value, status_label
from metrics import engine, history, narrative
from metrics.docx_writer import Block, Document, Run, write_docx
from metrics.indicators import (ACTIVITIES_BY_CODE, BEHIND_KINDS, G_BAO_CAO, G_DON_THU, G_LLCT, G_SINH_HOAT,
                                G_TUYEN_GIAO, G_XEP_LOAI, INDICATORS_BY_ID, short_code)

MAX_BEHIND_NAMED = 30  # more than this many units behind one target: the rest are counted (Phụ lục 3 has all)
MAX_ITEMS_PER_SECTION = 200  # a section's compiled points; the page "Tình hình đơn vị" lists every row


def p(*runs: Run | str) -> Block:
    """A body paragraph from texts and (text, style) runs."""
    return Block("p", [(r, "") if isinstance(r, str) else r for r in runs])


def dash(*runs: Run | str) -> Block:
    """A '- ' item."""
    return Block("dash", [(r, "") if isinstance(r, str) else r for r in runs])


# ------------------------------------------------------------------ words
def period_text(year: int, quarter: int | None) -> str:
    """'Quý I năm 2024' or 'năm 2024'."""
    return f"{QUARTER_LABELS[quarter]} năm {year}" if quarter else f"năm {year}"


def next_period_text(year: int, quarter: int | None) -> str:
    """The period after: 'Quý II năm 2024', 'Quý I năm 2025', 'năm 2025'."""
    if quarter is None:
        return f"năm {year + 1}"
    return period_text(year + 1, 1) if quarter == 4 else period_text(year, quarter + 1)


def same_day_last_year(day: dt.date) -> dt.date:
    """The as-of date of the same period last year: the same day a year earlier (29/02 → 28/02)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def change_text(now: float | None, before: float | None, last_year: int, first: bool) -> str:
    """'tăng 7,1% so với cùng kỳ năm 2023' (the first of a paragraph names the year; the others 'so với
    cùng kỳ'); '' when either side is missing."""
    if now is None or before is None:
        return ""
    versus = f"so với cùng kỳ năm {last_year}" if first else "so với cùng kỳ"
    if before == 0:
        return "" if now == 0 else f"cùng kỳ năm {last_year} không có"
    ratio = 100.0 * (now - before) / before
    if abs(ratio) < 0.05:
        return f"bằng cùng kỳ năm {last_year}" if first else "bằng cùng kỳ"
    return f"{'tăng' if ratio > 0 else 'giảm'} {fmt_auto(round(abs(ratio), 1))}% {versus}"


# ------------------------------------------------------------------ what the document needs
@dataclass
class Facts:
    """Everything the body is written from, for one scope, window and as-of date."""

    year: int
    quarter: int | None
    as_of: dt.date
    report: engine.Report
    last: engine.Report  # the same scope and window a year earlier, as of the same day a year earlier
    names: dict[str, str]
    cell_names: dict[str, str]  # "UNIT/CELL" -> cell name, for the cells behind a target
    narrative: pd.DataFrame
    by_unit: pd.DataFrame  # compute_by_unit
    acts_by_unit: pd.DataFrame  # history.activities_by_unit
    completeness: list[dict]

    @property
    def last_year(self) -> int:
        """The year compared with."""
        return self.year - 1


def gather(db, *, year: int, quarter: int | None = None, unit: str | None = None, as_of: dt.date | None = None,
           principal: Principal | None = None) -> Facts:
    """Compute every figure and compile every row the report is written from (the principal authorised
    for the scope once; the same principal for every call)."""
    from metrics.pack import completeness_rows, unit_names

    unit = authorize_unit(db, principal, unit)
    as_of = as_of or today()
    window = dict(year=year, quarter=quarter, unit=unit, as_of=as_of, principal=principal)
    report = engine.compute(db, **window)
    last = engine.compute(db, **{**window, "year": year - 1, "as_of": same_day_last_year(as_of)})
    cells: dict[str, str] = {}
    for ind in report.indicators:  # names of the cells behind a cell target (drill-down has them)
        if ind.behind and "/" in ind.behind[0] and INDICATORS_BY_ID[ind.id].kind in BEHIND_KINDS:
            items = engine.drilldown(db, ind.id, **window)
            if "cell_code" in items.columns and "cell_name" in items.columns:
                cells.update({f"{u}/{c}": n for u, c, n in zip(items["unit_code"], items["cell_code"],
                                                                items["cell_name"]) if isinstance(n, str)})
    return Facts(year, quarter, as_of, report, last, unit_names(db), cells,
                 narrative.narrative_rows(db, **window), engine.compute_by_unit(db, **window),
                 history.activities_by_unit(db, **window), completeness_rows(db, report, principal))


# ------------------------------------------------------------------ the body
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (  # heading, indicator groups
    ("Công tác tuyên giáo, dân vận", (G_TUYEN_GIAO,)),
    ("Công tác sinh hoạt chi bộ, đánh giá chất lượng tổ chức đảng và đảng viên", (G_SINH_HOAT, G_XEP_LOAI)),
    ("Công tác đào tạo lý luận chính trị", (G_LLCT,)),
    ("Công tác tiếp dân, giải quyết đơn thư", (G_DON_THU,)),
    ("Công tác thông tin, báo cáo", (G_BAO_CAO,)),
)
# the activity clauses of seed 004's paragraph: (element, words before the figure, words after it)
ACTIVITY_CLAUSES: tuple[tuple[str, str, str], ...] = (
    ("VAN_BAN_CHI_DAO", "ban hành", "văn bản lãnh đạo, chỉ đạo, hướng dẫn"),
    ("HN_TUYEN_TRUYEN", "tổ chức", "hội nghị, cuộc họp tuyên truyền, quán triệt"),
    ("NGUOI_THAM_DU", "với", "lượt người tham dự"),
    ("DOI_THOAI", "tổ chức", "buổi đối thoại với cán bộ, người lao động"),
    ("HN_NLD", "", "hội nghị người lao động"),
    ("GOP_Y_XD_DANG", "", "đợt góp ý xây dựng Đảng"),
    ("TIEP_DAN", "", "buổi tiếp dân"),
    ("GIAM_SAT", "tổ chức công đoàn, đoàn thanh niên đã thực hiện", "lượt giám sát"),
    ("PHAN_BIEN", "góp ý, phản biện", "nội dung"),
    ("AN_SINH", "hỗ trợ công tác an sinh xã hội với tổng số tiền", "triệu đồng"),
)
# what a ratio counts, by indicator kind (and for meetings, what is summed)
COUNTED = {"unit_ratio": "đơn vị", "cell_ratio": "chi bộ", "meeting_cell_ratio": "chi bộ", "report_ratio": "báo cáo",
           "petition_ratio": "đơn", "unit_sum_ratio": "người", "cell_sum_ratio": "đảng viên"}
VERDICT = {"met": "đạt mục tiêu", "exceeded": "vượt mục tiêu", "not_met": "chưa đạt mục tiêu",
           "in_progress": "đang thực hiện, mục tiêu"}


class Writer:
    """Writes the body of one report from its Facts."""

    def __init__(self, f: Facts, many: bool):
        self.f = f
        self.many = many  # several reporting units (the root, a committee above units) or one
        self.subject = "các tổ chức đảng trực thuộc" if many else "đơn vị"  # who did it
        self.last = {i.id: i for i in f.last.indicators}
        self.acts, self.acts_last = f.report.activities, f.last.activities

    # ---- figures
    def when(self) -> str:
        """'Trong Quý I năm 2024' or 'Năm 2024', opening a paragraph of figures."""
        return f"Trong {period_text(self.f.year, self.f.quarter)}" if self.f.quarter else f"Năm {self.f.year}"

    def _clause(self, code: str, before: str, after: str, first: bool) -> str:
        value = self.acts.get(code)
        if value is None:
            return f"{after}: chưa có số liệu"
        change = change_text(value, self.acts_last.get(code), self.f.last_year, first)
        text = " ".join(w for w in (before, fmt_auto(value), after) if w)
        return f"{text} ({change})" if change else text

    def activities(self) -> Block:
        """Seed 004's paragraph: 'Trong Quý I năm 2024, các tổ chức đảng trực thuộc đã ban hành 182 văn bản …
        (tăng …% so với cùng kỳ năm 2023); tổ chức 122 hội nghị … với 13.958 lượt người tham dự …'."""
        c = {code: self._clause(code, before, after, first=k == 0)
             for k, (code, before, after) in enumerate(ACTIVITY_CLAUSES)}
        whole, firms = ("Toàn Đảng bộ", "các doanh nghiệp") if self.many else ("Đơn vị", "doanh nghiệp")
        text = (f"{self.when()}, {self.subject} đã {c['VAN_BAN_CHI_DAO']}; {c['HN_TUYEN_TRUYEN']} "
                f"{c['NGUOI_THAM_DU']}; {c['DOI_THOAI']}, {c['HN_NLD']} và {c['GOP_Y_XD_DANG']}. {whole} có "
                f"{c['TIEP_DAN']}; {c['GIAM_SAT']}, {c['PHAN_BIEN']}; {firms} {c['AN_SINH']}.")
        if all(self.acts_last.get(code) is None for code, _, _ in ACTIVITY_CLAUSES):
            text += f" Chưa có số liệu cùng kỳ năm {self.f.last_year} để so sánh."
        return p(text)

    def petitions(self) -> Block:
        """Petitions received, overdue at the as-of date, mean days to resolve."""
        got = self._clause("DON_THU_NHAN", "tiếp nhận", "đơn thư", first=True)
        overdue = self.acts.get("DON_THU_QUA_HAN") or 0
        days = self.acts.get("DON_THU_SO_NGAY_TB")
        text = (f"{self.when()}, {self.subject} đã {got}; đến ngày {fmt_date(self.f.as_of)} còn "
                f"{fmt_auto(overdue)} đơn quá hạn chưa giải quyết")
        text += f"; thời gian giải quyết bình quân {fmt_auto(days)} ngày." if days is not None else "."
        return p(text)

    def completeness(self) -> Block | None:
        """'Quý I năm 2024: nhận 14/15 báo cáo, 13 báo cáo đúng hạn; chưa nộp: …'."""
        rows = [r for r in self.f.completeness if self.f.quarter is None or r["period"] == f"Q{self.f.quarter}"]
        if not rows:
            return None
        parts = []
        for r in rows:
            text = f"{r['label']}: nhận {r['received']}/{r['expected']} báo cáo, {r['on_time']} báo cáo đúng hạn"
            if r["missing"]:
                text += "; chưa nộp: " + ", ".join(self.unit_name(c) for c in r["missing"])
            parts.append(text)
        return p("Tình hình nộp báo cáo của các tổ chức đảng trực thuộc: " + "; ".join(parts) + ".")

    def unit_name(self, code: str) -> str:
        """'Đảng bộ Công ty Điện lực tỉnh' (the code when the unit is unknown)."""
        return self.f.names.get(code, code)

    def behind(self, keys: list[str]) -> str:
        """Who is behind, by name; cells grouped under their unit: 'Đảng bộ A (Chi bộ X, Chi bộ Y)'."""
        units: dict[str, list[str]] = {}
        for key in keys:
            unit, _, cell = key.partition("/")
            units.setdefault(unit, [])
            if cell and cell != unit:  # a Chi bộ cơ sở is its own one cell: its name once
                units[unit].append(self.f.cell_names.get(key) or cell)
        named = [f"{self.unit_name(u)} ({', '.join(cs)})" if cs else self.unit_name(u)
                 for u, cs in list(units.items())[:MAX_BEHIND_NAMED]]
        more = len(units) - len(named)
        return "; ".join(named) + (f" và {more} đơn vị khác (Phụ lục 3)" if more > 0 else "")

    def indicator(self, ind: engine.IndicatorResult) -> Block:
        """'- Tỷ lệ …: 93,3% (14/15 đơn vị), chưa đạt mục tiêu 100% (cùng kỳ năm 2023: 86,7%); chưa đạt: …'."""
        decl = INDICATORS_BY_ID[ind.id]
        text = f"{ind.name}: {show(ind.value, ind.unit)}"
        counted = COUNTED.get(decl.kind)
        if decl.kind == "meeting_ratio":
            counted = "lượt đảng viên" if decl.params.num == "attended" else "buổi sinh hoạt"
        if ind.unit == "%" and ind.denominator:
            text += f" ({fmt_auto(ind.numerator)}/{fmt_auto(ind.denominator)} {counted})"
        target = fmt_target(ind.target, ind.unit)
        if ind.status in VERDICT:
            text += f", {VERDICT[ind.status]} {target}"
            if ind.status == "in_progress":
                text += f" trong năm {self.f.year}"
        elif ind.status == "no_target":
            text += ", theo dõi (không đặt mục tiêu trong kỳ hoặc ở phạm vi này)"
        before = self.last.get(ind.id)
        if before is not None and before.value is not None:
            text += f" (cùng kỳ năm {self.f.last_year}: {show(before.value, before.unit)})"
        runs: list[Run] = [(text, "")]
        if ind.behind and ind.status in ("not_met", "in_progress"):
            label = "chưa thực hiện" if ind.status == "in_progress" else "chưa đạt"
            runs += [(f"; {label}: ", ""), (self.behind(list(ind.behind)), "i")]
        runs.append((".", ""))
        return Block("dash", runs)

    def area(self, groups: tuple[str, ...]) -> list[Block]:
        """Each target of the groups as a sentence; those without data in one closing sentence."""
        inds = [i for i in self.f.report.indicators if i.group in groups]
        out = [self.indicator(i) for i in inds if i.status != "no_data"]
        empty = [i for i in inds if i.status == "no_data"]
        if empty:
            out.append(p(("Chưa có số liệu trong kỳ: " + "; ".join(i.name for i in empty)
                          + (" (đánh giá, xếp loại thực hiện trong báo cáo năm)." if self.f.quarter else "."), "i")))
        return out

    # ---- the units' own words
    def narrative(self, sections: tuple[str, ...]) -> list[Block]:
        """The units' rows of these sections: identical points once, naming every unit that wrote them;
        Nổi cộm and Cần quan tâm first, marked."""
        df = self.f.narrative
        rows = df[df["section"].isin(sections)]
        if rows.empty:
            return [p(("Chưa có đơn vị nào báo cáo nội dung này.", "i"))]
        merged: dict[tuple[str, str], list[str]] = {}
        for level, content, code in zip(rows["level"], rows["content"], rows["unit_code"]):
            key = (level, _fold(content))
            merged.setdefault(key, [content])
            if code not in merged[key]:
                merged[key].append(code)
        order = {lvl: k for k, lvl in enumerate(narrative.LEVELS)}
        items = sorted(merged.items(), key=lambda kv: order.get(kv[0][0], len(order)))  # stable: rows' order
        out: list[Block] = []
        for (level, _), (content, *codes) in items[:MAX_ITEMS_PER_SECTION]:
            paragraphs = [t for t in content.split("\n") if t.strip()]
            runs: list[Run] = []
            if level in narrative.FLAGGED:
                runs.append((f"[{narrative.LEVEL_LABELS[level]}] ", "b"))
            who = "; ".join(self.unit_name(c) for c in codes)
            last = paragraphs[-1].rstrip()
            end = "." if not last.endswith((".", "!", "?", "…")) else last[-1]
            body = "\n".join([*paragraphs[:-1], last.rstrip(".!?…")])
            runs += [(body, ""), (" (", ""), (who, "i"), (")" + end, "")]
            out.append(Block("dash", runs))
        if len(items) > MAX_ITEMS_PER_SECTION:
            out.append(p((f"… và {len(items) - MAX_ITEMS_PER_SECTION} ý kiến khác (xem trang Tình hình đơn vị).",
                          "i")))
        return out

    # ---- the whole body
    def body(self) -> list[Block]:
        """I. Kết quả, II. Hạn chế, III. Nhiệm vụ, IV. Kiến nghị."""
        f = self.f
        inds = f.report.indicators
        judged = [i for i in inds if i.status in ("met", "exceeded", "not_met", "in_progress")]
        reached = [i for i in judged if i.status in ("met", "exceeded")]
        missed = [i for i in judged if i.status == "not_met"]
        going = [i for i in judged if i.status == "in_progress"]
        window = (f", tính lũy kế từ đầu năm đến hết {QUARTER_LABELS[f.quarter]} năm {f.year}" if f.quarter
                  else f" năm {f.year}")
        out = [Block("h1", [("I. KẾT QUẢ ĐẠT ĐƯỢC", "b")]),
               p(f"Các chỉ tiêu của chương trình hành động{window} (số liệu đến ngày {fmt_date(f.as_of)}): "
                 f"{len(reached)}/{len(judged)} chỉ tiêu đạt và vượt mục tiêu, {len(missed)} chỉ tiêu chưa đạt"
                 + (f", {len(going)} chỉ tiêu đang thực hiện" if going else "") + "; chi tiết tại Phụ lục 1."),
               Block("h2", [("1. Tình hình tư tưởng, dư luận xã hội", "b")]),
               Block("h3", [("a) Tình hình tư tưởng", "bi")]), *self.narrative(("TU_TUONG",)),
               Block("h3", [("b) Dư luận xã hội", "bi")]), *self.narrative(("DU_LUAN",))]
        for n, (heading, groups) in enumerate(AREAS, start=2):
            out.append(Block("h2", [(f"{n}. {heading}", "b")]))
            if G_TUYEN_GIAO in groups:
                out.append(self.activities())
            if G_DON_THU in groups:
                out.append(self.petitions())
            if G_BAO_CAO in groups:
                done = self.completeness()
                out += [done] if done else []
            out += self.area(groups)
        out += [Block("h2", [(f"{len(AREAS) + 2}. Kết quả nổi bật, cách làm hay", "b")]),
                *self.narrative(("KET_QUA",)),
                Block("h1", [("II. HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN", "b")]),
                Block("h2", [("1. Hạn chế, khó khăn", "b")])]
        if missed:
            out.append(p(f"Còn {len(missed)} chỉ tiêu chưa đạt mục tiêu: "
                         + "; ".join(f"{i.name} ({show(i.value, i.unit)}, mục tiêu {fmt_target(i.target, i.unit)})"
                                     for i in missed) + "."))
        out += self.narrative(("HAN_CHE",))
        out += [Block("h2", [("2. Bài học kinh nghiệm", "b")]), *self.narrative(("BAI_HOC",)),
                Block("h1", [(f"III. NHIỆM VỤ TRỌNG TÂM {next_period_text(f.year, f.quarter).upper()}", "b")])]
        if missed or going:
            todo = "; ".join(i.name for i in missed)
            text = (f"Tập trung chỉ đạo khắc phục các chỉ tiêu chưa đạt: {todo}." if missed else "")
            if going:
                text += (" " if text else "") + (f"Đôn đốc các đơn vị chưa thực hiện hoàn thành trước ngày "
                                                 f"31/12/{f.year}: " + "; ".join(i.name for i in going) + ".")
            out.append(p(text))
        out += self.narrative(("NHIEM_VU",))
        out += [Block("h1", [("IV. KIẾN NGHỊ, ĐỀ XUẤT", "b")]), *self.narrative(("KIEN_NGHI",))]
        return out

    # ---- appendix
    def appendix(self) -> list[Block]:
        """Phụ lục 1 the targets of the scope; 2 activities per unit (totals = the engine's); 3 targets per unit."""
        f = self.f
        when = period_text(f.year, f.quarter)
        rows = [[short_code(i.id), i.name, show(i.value, i.unit), _fraction(i), fmt_target(i.target, i.unit),
                 status_label(i.status), show(self.last[i.id].value, i.unit) if i.id in self.last else "—"]
                for i in f.report.indicators]
        out = [Block("page"),
               Block("h1", [("PHỤ LỤC 1. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "b")]),
               p((f"{'Lũy kế đến hết ' + QUARTER_LABELS[f.quarter] + ' năm ' + str(f.year) if f.quarter else 'Năm ' + str(f.year)}"
                  f"; số liệu đến ngày {fmt_date(f.as_of)}; cùng kỳ năm {f.last_year} tính đến ngày "
                  f"{fmt_date(same_day_last_year(f.as_of))}.", "i")),
               Block("table", headers=["Mã", "Chỉ tiêu", "Kết quả", "Tử số/Mẫu số", "Mục tiêu", "Đánh giá",
                                       f"Cùng kỳ {f.last_year}"],
                     rows=rows, widths=[1.3, 10.5, 2.3, 2.6, 2.3, 3.0, 2.4])]
        codes = [c for c, _, _ in ACTIVITY_CLAUSES]
        wide = f.acts_by_unit.pivot_table(index="unit_code", columns="element", values="value", aggfunc="first") \
            if not f.acts_by_unit.empty else pd.DataFrame()
        act_rows = []
        for k, unit in enumerate(wide.index, 1):
            act_rows.append([str(k), self.unit_name(unit),
                             *[fmt_auto(wide.at[unit, c]) if c in wide.columns else "—" for c in codes]])
        act_rows.append(["", "Tổng cộng", *[fmt_auto(self.acts.get(c)) for c in codes]])
        out += [Block("h1", [(f"PHỤ LỤC 2. KẾT QUẢ HOẠT ĐỘNG THEO ĐƠN VỊ {when.upper()}", "b")]),
                Block("table", headers=["TT", "Đơn vị", *[ACTIVITIES_BY_CODE[c].short for c in codes]],
                      rows=act_rows, widths=[0.9, 6.2, *([1.9] * len(codes))], bold_last=True)]
        out += [Block("h1", [("PHỤ LỤC 3. KẾT QUẢ THỰC HIỆN CHỈ TIÊU THEO ĐƠN VỊ", "b")]),
                p(("Các chỉ tiêu chỉ đánh giá ở toàn Đảng bộ (cử đi học lý luận chính trị) không đánh giá theo "
                   "từng đơn vị.", "i")),
                Block("table", headers=["TT", "Đơn vị", "Đạt, vượt", "Chưa đạt", "Đang thực hiện",
                                        "Chỉ tiêu chưa đạt (kết quả)"],
                      rows=self.by_unit_rows(), widths=[0.9, 6.5, 1.8, 1.8, 2.2, 11.2])]
        return out

    def by_unit_rows(self) -> list[list[str]]:
        """One row per unit of compute_by_unit: statuses counted, the targets it misses with its value."""
        df = self.f.by_unit
        out = []
        for unit, part in df.groupby("unit_code", sort=True):
            if unit == self.f.report.scope["unit"]:
                continue
            st = part["status"].tolist()
            missed = [f"{short_code(i)} {INDICATORS_BY_ID[i].short} ({show(v, INDICATORS_BY_ID[i].unit)})"
                      for i, v, s in zip(part["indicator_id"], part["value"], part["status"]) if s == "not_met"]
            out.append([str(len(out) + 1), self.unit_name(unit), str(st.count("met") + st.count("exceeded")),
                        str(st.count("not_met")), str(st.count("in_progress")), "; ".join(missed) or "—"])
        return out


def show(value: Any, unit: str | None) -> str:
    """A figure as the report writes it: core.text's, with a whole percentage without its ',0' ('100%')."""
    text = fmt_value(value, unit)
    return text[:-3] + "%" if unit == "%" and text.endswith(",0%") else text


def _fraction(i: engine.IndicatorResult) -> str:
    if i.numerator is None:
        return "—"
    return fmt_auto(i.numerator) if i.denominator is None else f"{fmt_auto(i.numerator)}/{fmt_auto(i.denominator)}"


_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    """The key under which two units' identical points merge (case, spacing, final stop ignored)."""
    return _SPACES.sub(" ", text).strip().rstrip(".").casefold()


# ------------------------------------------------------------------ the frame
def _issuer_lines(db, scope: dict) -> tuple[str, str, str, str]:
    """(parent body, issuing committee, symbol, 'T/M …') for the scope: the root from the configuration;
    a unit speaks as its committee (a cell as itself) under the body above it."""
    cfg = load_config()
    if scope.get("is_root"):
        return cfg.report_parent, cfg.report_issuer, cfg.report_symbol, "T/M ĐẢNG ỦY"
    units = history.units_frame(db)
    row = units[units["code"] == scope["unit"]]
    parent_code = row["parent_code"].iloc[0] if len(row) else None
    parent = units.loc[units["code"] == parent_code, "name"]
    parent_name = parent.iloc[0] if len(parent) else cfg.root_name
    cell = row["kind"].iloc[0] == "CBCS" if len(row) else False
    return (parent_name, committee_of(scope["name"]), "CB" if cell else cfg.report_symbol,
            "T/M CHI BỘ" if cell else "T/M ĐẢNG ỦY")


def review_document(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                    as_of: dt.date | None = None, principal: Principal | None = None,
                    made_on: dt.date | None = None) -> Document:
    """The review report of a scope (None: the root), a window (a year, or a quarter: sơ kết of that
    quarter, the targets year to date) and an as-of date (default today), dated `made_on` (default today).
    The principal needs the export permission and the scope (DashboardError otherwise)."""
    require(principal, EXPORT)
    f = gather(db, year=year, quarter=quarter, unit=unit, as_of=as_of, principal=principal)
    cfg = load_config()
    scope = f.report.scope
    parent, issuer, symbol, on_behalf = _issuer_lines(db, scope)
    w = Writer(f, many=bool(scope.get("is_root")) or f.acts_by_unit["unit_code"].nunique() > 1)
    kind = "Sơ kết" if quarter else "Tổng kết"
    subtitle = (f"{kind} công tác xây dựng Đảng {period_text(year, quarter)},\n"
                f"phương hướng, nhiệm vụ {next_period_text(year, quarter)}")
    return Document(
        parent=parent.upper(), issuer=issuer.upper(), symbol=f"Số      -BC/{symbol}",
        place_date=date_line(cfg.report_place, made_on or today()), title="BÁO CÁO", subtitle=subtitle,
        body=w.body(),
        closing=(f"Trên đây là báo cáo {kind.lower()} công tác xây dựng Đảng {period_text(year, quarter)} "
                 f"của {issuer}./."),
        recipients=list(cfg.report_recipients), signer_on_behalf=on_behalf,
        signer_title=cfg.report_signer_title, signer_name=cfg.report_signer_name, appendix=w.appendix())


def review_docx(db, **kwargs: Any) -> bytes:
    """The review report as a .docx (keyword arguments of `review_document`)."""
    return write_docx(review_document(db, **kwargs))


def review_pdf(db, **kwargs: Any) -> bytes:
    """The review report as PDF: the .docx converted by LibreOffice (metrics/pdf.py)."""
    from metrics.pdf import to_pdf

    return to_pdf(review_docx(db, **kwargs), ".docx")
