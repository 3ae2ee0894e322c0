"""Column headers of the import files: each column's code, and its Chinese header.

An import file's header row may name a column by its code (``parent_code``, the header
of the English template and of every file written before Chinese headers existed) or by
its Chinese header (``上级单位代码``, the header of the Chinese template). Both are read
as the code, whatever the reader's interface language, so that a file made from either
template imports for anyone. The Chinese headers are fixed spellings, like the unit
kinds 乡镇 and 社区 a roster may use: they are not translations of the interface.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "PAPER_BALLOT_HEADERS",
    "RESULT_HEADERS",
    "ROSTER_HEADERS",
    "UNIT_HEADERS",
    "column_code",
    "header_of",
]

#: Unit tree (``assessment.core.roster.UNIT_COLUMNS``).
UNIT_HEADERS: Mapping[str, str] = {
    "code": "单位代码",
    "parent_code": "上级单位代码",
    "kind": "单位类型",
    "name_zh": "中文名称",
    "name_en": "英文名称",
    "households": "户数",
    "population": "人口数",
}
#: Cadre roster, one row per appointment (``assessment.core.roster.ROSTER_COLUMNS``).
ROSTER_HEADERS: Mapping[str, str] = {
    "code": "人员编号",
    "name": "姓名",
    "gender": "性别",
    "birth_year": "出生年份",
    "post_code": "岗位代码",
    "unit_code": "单位代码",
    "start_date": "任职起始日期",
    "end_date": "任职截止日期",
}
#: Quantitative actuals (``assessment.services.inputs.RESULT_COLUMNS``).
RESULT_HEADERS: Mapping[str, str] = {
    "cadre_code": "人员编号",
    "indicator_code": "指标代码",
    "actual": "实际完成值",
    "source": "数据来源",
    "note": "备注",
}
#: Paper ballots; the answer columns ``q_<item>`` keep their codes in both templates.
PAPER_BALLOT_HEADERS: Mapping[str, str] = {
    "serial": "问卷编号",
    "batch": "批次",
    "receipt": "回执码",
}


def column_code(header: str, headers: Mapping[str, str]) -> str:
    """The column a header cell names: the code of a Chinese header, else the cell in lower case.

    Parameters
    ----------
    header : str
        The header cell as read (already trimmed).
    headers : mapping of str to str
        Column code -> Chinese header, for the import being read.

    Returns
    -------
    str

    Examples
    --------
    >>> column_code("上级单位代码", UNIT_HEADERS), column_code("Parent_Code", UNIT_HEADERS)
    ('parent_code', 'parent_code')
    >>> column_code("单位编号", UNIT_HEADERS)
    '单位编号'
    """
    for code, chinese in headers.items():
        if header == chinese:
            return code
    return header.lower()


def header_of(code: str, headers: Mapping[str, str], *, chinese: bool) -> str:
    """The header a template writes for a column: Chinese, or the code.

    Examples
    --------
    >>> header_of("households", UNIT_HEADERS, chinese=True), header_of("q_1", {}, chinese=True)
    ('户数', 'q_1')
    """
    return headers.get(code, code) if chinese else code
