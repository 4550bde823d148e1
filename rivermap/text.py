"""Every user-facing word of rivermap, in Chinese and English, and one rule for missing text.

Tables, the command line, the web map and the atlas all take their words from
here, so that a planner who compares a table with a map in a meeting reads the
same word for the same thing. There are three kinds of entry:

* **levels** (:data:`LEVELS`): an administrative level's name (``district`` →
  区县) and its rank (县级), from which a chief's title is made (县级河长);
  a level rivermap does not know reads as itself;
* **terms** (:data:`TERMS`): every other word or sentence, by a dotted key
  whose first part says what it is: ``kind`` (reach kinds), ``reason`` (why
  a river is flagged), ``roster`` (gaps of a chief roster), ``policy`` and
  ``plan_policy``, ``col`` (column headers, with ``col.<table>.<column>``
  where a column means something else in one table), ``sheet`` (workbook
  sheet names), ``ui`` (the web map), ``atlas``, ``msg`` (messages and
  summaries). Sentences take ``{named}`` fields, filled in by :func:`term`;
* **codes in tables**: :func:`localize` turns the codes of a table's level,
  reason and kind columns into words, for tables written for people.

Missing text follows one rule (:func:`is_missing`): ``None``, NaN, ``pd.NA``
and the empty string are missing; everything else is text.
:func:`text_or` and :func:`texts` apply it to one value and to an array.

Names from the data can be any length (a shapefile field holds 254 bytes, a
GeoPackage field any number). What is *drawn* (a name on a map, a legend
entry, a page heading, a chart's axis label) goes through :func:`clip_label`:
at most :data:`LABEL_COLUMNS` columns of a fixed-width terminal (a Chinese
character takes two, a combining accent none, see :func:`columns`), cut with
"…", without directional overrides (:func:`strip_bidi`). Popups, tables, the
search and every file written keep the full text.

Examples
--------
>>> term("reason.crosses", "zh"), term("reason.crosses", "en")
('跨界', 'crosses units')
>>> level_label("district", "zh"), chief_title("district", "zh"), chief_title("city", "en")
('区县', '县级河长', 'city chief')
>>> reason_labels("crosses,reenters", "zh")
'跨界、出而复入'
>>> header("river_id", "zh"), header("name", "zh", table="chiefs")
('河流编码', '姓名')
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from rivermap.errors import ParameterError

__all__ = [
    "LABEL_COLUMNS",
    "LEVELS",
    "TERMS",
    "chief_title",
    "clip_label",
    "code_labels",
    "columns",
    "fill",
    "header",
    "headers",
    "is_missing",
    "join_list",
    "level_label",
    "level_rank",
    "list_separator",
    "localize",
    "reason_labels",
    "strip_bidi",
    "term",
    "text_or",
    "texts",
]

#: Known levels: ``level -> (Chinese name, Chinese rank, English name)``.
LEVELS: dict[str, tuple[str, str, str]] = {
    "country": ("国家", "国家级", "country"),
    "province": ("省", "省级", "province"),
    "city": ("市", "市级", "city"),
    "prefecture": ("地级市", "市级", "prefecture"),
    "district": ("区县", "县级", "district"),
    "county": ("县", "县级", "county"),
    "township": ("乡镇", "乡镇级", "township"),
    "town": ("镇", "乡镇级", "town"),
    "street": ("乡镇街道", "乡镇(街道)级", "street"),
    "subdistrict": ("街道", "街道级", "subdistrict"),
    "community": ("村社区", "村(社区)级", "community"),
    "village": ("村", "村级", "village"),
    "wahlkreis": ("选区", "选区级", "wahlkreis"),
    "gemeinde": ("市镇", "市镇级", "gemeinde"),
}

#: Every other user-facing word: ``key -> (Chinese, English)``.
TERMS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ reach kinds
    "kind.inside": ("单位内河段", "inside a unit"),
    "kind.boundary": ("界河段", "boundary reach"),
    "kind.outside": ("区域外河段", "outside all units"),
    # ------------------------------------------------------ why a river is flagged
    "reason.crosses": ("跨界", "crosses units"),
    "reason.boundary": ("界河", "runs along a boundary"),
    "reason.reenters": ("出而复入", "leaves and re-enters"),
    "reason.slivers": ("碎段", "slivers"),
    # ----------------------------------------------------- gaps of a roster
    "roster.no_chief": ("有河段无河长", "unit has river reaches but no chief"),
    "roster.no_river": ("河长所在单位无河流", "chief's unit has no river"),
    "roster.conflict": (
        "一河多长（同级同河多名河长）",
        "two chiefs claim the same river at one level",
    ),
    "roster.river_not_in_unit": (
        "所任河流不流经本单位",
        "chief's river does not pass through their unit",
    ),
    "roster.overload": ("负责河段数或长度异常", "person holds an outlying number of reaches or km"),
    "roster.detail.no_chief": (
        "{n} 个河段共 {km} km（{rivers}）在本级无河长",
        "{n} reach(es), {km} km ({rivers}) have no chief at this level",
    ),
    "roster.detail.no_river": ("{unit}没有河段", "no river reach in {unit}"),
    "roster.detail.conflict": (
        "{who}均为{unit}{river}的河长",
        "{who} are all chiefs (河长) of {river} in {unit}",
    ),
    "roster.detail.river_not_in_unit": (
        "{river}不流经{unit}",
        "{river} does not pass through {unit}",
    ),
    "roster.detail.over_km": ("{km} km（上限 {limit} km）", "{km} km (limit {limit} km)"),
    "roster.detail.over_reaches": ("{n} 个河段（上限 {limit}）", "{n} reaches (limit {limit})"),
    "roster.supervisor": ("{unit}河长制办公室", "{unit} river chief office"),
    # ------------------------------------------------------------ policies
    "policy.bank": ("左右岸分别负责", "each side answers for its bank"),
    "policy.parent": ("共同上级负责", "the common parent answers"),
    "policy.lead": ("占比较大的一方负责", "the side holding more of the river answers"),
    "plan_policy.split": ("按责任单位分段", "a segment per change of unit"),
    "plan_policy.majority": ("碎段并入主要单位", "slivers go to the main units"),
    "plan_policy.parent": (
        "跨单位河流由共同上级负责",
        "rivers across units go to the common parent",
    ),
    "plan.unassigned": ("未分配", "(unassigned)"),
    # ------------------------------------- a flag's proposal (one sentence of parts)
    "proposal.whole": ("整河由{unit}负责", "keep the river whole under {unit}"),
    "proposal.split": (
        "在 {cuts} km 处分为 {n} 段（{segments}{more}）",
        "split into {n} segments at {cuts} km ({segments}{more})",
    ),
    "proposal.reassign": (
        "将 {span} km 由{old}划归{new}{extra}（共 {km} km）",
        "reassign {span} km from {old} to {new}{extra} ({km} km in all)",
    ),
    "proposal.reassign_more": ("等 {all} 处", " and {others} more"),
    "proposal.boundary": (
        "界河段共 {km} km（如{pair}）：明确左右岸分工，或划归占比较大的一方",
        (
            "{km} km runs along boundaries (first {pair}): agree bank duties "
            "or give each stretch to the side holding more of the river"
        ),
    ),
    "proposal.parent": (
        "或由共同上级{parent}统一负责",
        "or give the river to the common parent {parent}",
    ),
    "proposal.sep": ("；", "; "),
    "proposal.end": ("。", "."),
    # ----------------------------------------------- a result's summary
    "result.rivers": ("河流", "rivers"),
    "result.reaches": ("河段", "reaches"),
    "result.boundary_reaches": ("界河段", "boundary reaches"),
    "result.total_length": ("总长", "total length"),
    "result.boundary_length": ("界河长度", "along boundaries"),
    "result.outside_length": ("区域外长度", "outside all units"),
    "result.slivers": ("碎段合并", "slivers merged"),
    "result.levels": ("级别", "levels"),
    "result.chief_level": ("河长级别", "chief level"),
    # ------------------------------------------- column headers (tables for people)
    "col.river_id": ("河流编码", "River ID"),
    "col.name": ("河流名称", "River"),
    "col.river": ("河流名称", "River"),
    "col.river_name": ("河流名称", "River"),
    "col.level": ("级别", "Level"),
    "col.units": ("涉及单位编码", "Unit IDs (along the river)"),
    "col.unit_names": ("涉及单位", "Units (along the river)"),
    "col.shares": ("长度占比", "Shares of river length"),
    "col.lengths_m": ("长度(米)", "Lengths (m)"),
    "col.n_units": ("单位数", "Units"),
    "col.units_count": ("单元数", "units"),
    "col.lead_unit": ("主要单位", "Lead unit"),
    "col.lead_share": ("主要单位占比", "Lead share"),
    "col.handovers": ("交接次数", "Handovers"),
    "col.boundary_m": ("界河长度(米)", "Along boundaries (m)"),
    "col.n_slivers": ("碎段数", "Slivers"),
    "col.sliver_m": ("碎段长度(米)", "Sliver length (m)"),
    "col.reasons": ("问题", "Reasons"),
    "col.severity": ("严重程度", "Severity"),
    "col.proposal": ("建议(英文)", "Proposal"),
    "col.proposal_zh": ("建议", "Proposal (Chinese)"),
    "col.n_segments": ("建议段数", "Proposed segments"),
    "col.split_at_m": ("建议分段点(米)", "Split at (m)"),
    "col.reassign": ("建议调整河段", "Reassign (from-to:unit)"),
    "col.parent_unit": ("共同上级单位", "Common parent unit"),
    "col.segment_id": ("河段编码", "Segment ID"),
    "col.from_m": ("起点(米)", "From (m)"),
    "col.to_m": ("终点(米)", "To (m)"),
    "col.length_m": ("长度(米)", "Length (m)"),
    "col.unit_id": ("责任单位编码", "Unit ID"),
    "col.unit_name": ("责任单位", "Responsible unit"),
    "col.unit_level": ("责任单位级别", "Unit level"),
    "col.previous": ("原责任单位编码", "Previous unit IDs"),
    "col.old_unit": ("原单位编码", "Old unit ID"),
    "col.old_name": ("原单位", "Old unit"),
    "col.new_unit": ("新单位编码", "New unit ID"),
    "col.new_name": ("新单位", "New unit"),
    "col.old_segment": ("原河段", "Old segment"),
    "col.new_segment": ("新河段", "New segment"),
    "col.gained_km": ("增加(公里)", "Gained (km)"),
    "col.lost_km": ("减少(公里)", "Lost (km)"),
    "col.net_km": ("净变化(公里)", "Net (km)"),
    "col.segment": ("河段", "Segment"),
    "col.reason": ("问题", "Reason"),
    "col.code": ("问题代码", "Code"),
    "col.distance_m": ("距离(米)", "Distance (m)"),
    "col.chief_level": ("河长级别", "Chief level"),
    "col.chief_unit": ("河长单位编码", "Chief unit ID"),
    "col.chief_unit_name": ("河长单位", "Chief unit"),
    "col.chief_name": ("河长", "Chief"),
    "col.chief_title": ("河长职务", "Chief's title"),
    "col.chief_phone": ("河长电话", "Chief's phone"),
    "col.start": ("起点", "Start"),
    "col.end": ("终点", "End"),
    "col.length_km": ("长度(公里)", "Length (km)"),
    "col.supervisor": ("监督单位", "Supervisor"),
    "col.hotline": ("监督电话", "Hotline"),
    "col.title": ("职务", "Title"),
    "col.phone": ("电话", "Phone"),
    "col.role": ("角色", "Role"),
    "col.unit_ids": ("单位编码", "Unit IDs"),
    "col.levels": ("级别", "Levels"),
    "col.rivers": ("河流", "Rivers"),
    "col.river_ids": ("河流编码", "River IDs"),
    "col.km": ("长度(公里)", "Length (km)"),
    "col.n_reaches": ("河段数", "Reaches"),
    "col.boundary_km": ("界河长度(公里)", "Along boundaries (km)"),
    "col.detail": ("说明", "Detail"),
    "col.since": ("任职时间", "Since"),
    # headers that mean something else in one table: col.<table>.<column>
    "col.plan.name": ("名称", "Name"),
    "col.plan.reason": ("原因", "Reason"),
    "col.chiefs.name": ("姓名", "Name"),
    "col.chiefs.units": ("单位", "Units"),
    "col.chiefs.unit_id": ("单位编码", "Unit ID"),
    "col.chiefs.unit_name": ("单位", "Unit"),
    # ------------------------------------------------ reports and patrols
    "col.event_id": ("工单编号", "Ticket ID"),
    "col.reported_at": ("上报时间", "Reported at"),
    "col.source": ("来源", "Source"),
    "col.category": ("问题类型", "Category"),
    "col.status": ("状态", "Status"),
    "col.deadline": ("办理时限", "Deadline"),
    "col.closed_at": ("办结时间", "Closed at"),
    "col.description": ("问题描述", "Description"),
    "col.reach_hint": ("填报河段", "Reach given"),
    "col.river_hint": ("填报河流", "River given"),
    "col.board_hint": ("公示牌编号", "Signboard code"),
    "col.board_id": ("公示牌编号", "Signboard code"),
    "col.reach_id": ("河段编码", "Reach ID"),
    "col.chainage_m": ("里程桩号(米)", "Chainage (m)"),
    "col.offset_m": ("离河距离(米)", "Distance to river (m)"),
    "col.side": ("岸别", "Bank"),
    "col.kind": ("河段类型", "Reach kind"),
    "col.responsible": ("责任单位编码", "Responsible unit ID"),
    "col.level_unit": ("{level}单位编码", "{level} unit ID"),
    "col.responsible_name": ("责任单位", "Responsible unit"),
    "col.chief": ("应办河长", "Chief to act"),
    "col.match": ("匹配方式", "Matched by"),
    "col.events.reason": ("未匹配原因", "Why unmatched"),
    "col.ambiguous": ("位置存疑", "Ambiguous"),
    "col.candidates": ("其他候选河段", "Other candidate reaches"),
    "col.duplicate_of": ("疑似重复工单", "Possible duplicate of"),
    "col.lon": ("经度", "Longitude"),
    "col.lat": ("纬度", "Latitude"),
    "col.patrol_id": ("巡河编号", "Patrol ID"),
    "col.person": ("巡河人", "Person"),
    "col.time": ("时间", "Time"),
    "col.started_at": ("开始时间", "Started at"),
    "col.ended_at": ("结束时间", "Ended at"),
    "col.minutes": ("时长(分钟)", "Duration (min)"),
    "col.n_points": ("轨迹点数", "Track points"),
    "col.speed_kmh": ("平均速度(公里/时)", "Mean speed (km/h)"),
    "col.fast_share": ("超速里程占比", "Share driven too fast"),
    "col.on_river_share": ("沿河里程占比", "Share along rivers"),
    "col.in_units_share": ("在责任单位内占比", "Share inside own units"),
    "col.own_km": ("巡查本人河段(公里)", "Own reaches patrolled (km)"),
    "col.own_share": ("本人河段覆盖率", "Share of own reaches covered"),
    "col.valid": ("有效巡河", "Valid"),
    "col.patrols.reasons": ("无效原因", "Why not valid"),
    "col.period": ("考核周期", "Period"),
    "col.period_start": ("周期开始", "Period start"),
    "col.period_end": ("周期结束", "Period end"),
    "col.required": ("应巡次数", "Required patrols"),
    "col.done": ("已巡次数", "Valid patrols"),
    "col.met": ("是否达标", "Duty met"),
    "col.last_valid": ("最近有效巡河", "Last valid patrol"),
    "col.min_count": ("最少次数", "Minimum count"),
    "col.months": ("执行月份", "Active months"),
    "col.min_minutes": ("每次最短时长(分钟)", "Minimum minutes per patrol"),
    "col.min_km": ("每次最短里程(公里)", "Minimum km per patrol"),
    "col.synthetic": ("数据说明", "Data note"),
    "col.input": ("{name}（原表）", "{name} (input)"),
    # where a report comes from (来源)
    "source.12345": ("12345热线", "12345 hotline"),
    "source.12319": ("12319热线", "12319 hotline"),
    "source.patrol": ("巡河发现", "found on patrol"),
    "source.qr": ("公示牌扫码", "signboard scan"),
    "source.superior": ("上级交办", "assigned by a superior"),
    "source.media": ("媒体曝光", "media"),
    "source.public": ("群众举报", "public report"),
    # what a report is about (问题类型)
    "category.mixed_sewage": ("雨污混排", "mixed rain and sewage"),
    "category.outfall": ("排污口", "sewage outfall"),
    "category.houseboat": ("船屋", "houseboat"),
    "category.encroachment": ("沿河搭建", "riverside building"),
    "category.farming": ("养殖", "fish or livestock farming"),
    "category.silting": ("淤塞", "silting"),
    "category.sunken_boat": ("沉船", "sunken boat"),
    "category.litter": ("河岸垃圾", "litter on the bank"),
    "category.other": ("其他", "other"),
    # where a ticket stands (状态)
    "status.registered": ("登记", "registered"),
    "status.assigned": ("交办", "assigned"),
    "status.in_progress": ("办理中", "in progress"),
    "status.returned": ("退回", "returned"),
    "status.closed": ("办结", "closed"),
    "status.archived": ("归档", "archived"),
    # how a report found its reach, and why it found no one
    "match.qr": ("公示牌扫码", "signboard code"),
    "match.declared": ("按填报河段/河流", "reach or river given"),
    "match.spatial": ("按位置", "by location"),
    "match.unmatched": ("未匹配", "unmatched"),
    "route.no_location": ("无位置信息", "no location"),
    "route.too_far": ("离河流过远", "too far from every river"),
    "route.outside": ("不在任何责任单位内", "outside every unit"),
    "route.no_chief": ("责任单位无河长", "no chief for the unit"),
    "side.left": ("左岸", "left bank"),
    "side.right": ("右岸", "right bank"),
    # why a patrol does not count (无效原因)
    "patrol.one_point": ("轨迹仅一个点", "a single track point"),
    "patrol.time_order": ("轨迹时间顺序错乱", "timestamps out of order"),
    "patrol.short_time": ("巡河时长不足", "too short in time"),
    "patrol.short_distance": ("巡河里程不足", "too short in distance"),
    "patrol.too_fast": ("速度过快（疑似驾车经过）", "too fast: a drive past"),
    "patrol.off_river": ("大部分轨迹不在河道附近", "mostly away from any river"),
    "patrol.outside_units": ("不在本人责任单位内", "outside the person's units"),
    "patrol.unknown_person": ("巡河人不在河长名录中", "person not in the roster"),
    "period.week": ("周", "week"),
    "period.month": ("月", "month"),
    "period.quarter": ("季度", "quarter"),
    "period.year": ("年", "year"),
    "msg.synthetic": (
        "合成演示数据：工单与巡河轨迹均为程序生成，非真实记录",
        "Synthetic demo data: these tickets and patrol tracks were generated, not recorded",
    ),
    # ------------------------------------------------- the monthly bulletin
    "col.completion": ("巡河完成率", "Patrol completion"),
    "col.patrolled_km": ("巡查本人河段(公里)", "Own reaches patrolled (km)"),
    "col.river_km": ("河道长度(公里)", "River length (km)"),
    "col.days_since_patrol": ("距最近有效巡河(天)", "Days since last valid patrol"),
    "col.received": ("本月受理", "Received"),
    "col.closed": ("本月办结", "Closed"),
    "col.carried": ("上月结转", "Carried over"),
    "col.open_end": ("月末未办结", "Open at month end"),
    "col.overdue": ("超期未办结", "Overdue"),
    "col.closure_rate": ("办结率", "Closure rate"),
    "col.closure_rate_all": ("办结率(含结转)", "Closure rate (with carried)"),
    "col.median_days": ("办结用时中位数(天)", "Median days to close"),
    "col.silent": ("沉默单位", "Silent"),
    "col.score": ("得分", "Score"),
    "col.rank": ("排名", "Rank"),
    "col.parent_id": ("上级单位编码", "Parent unit ID"),
    "col.bulletin.name": ("单位", "Unit"),
    "col.bulletin.chief": ("河长", "Chief"),
    "col.month": ("月份", "Month"),
    "col.before": ("{name}(上月)", "{name} (month before)"),
    "col.change": ("{name}变化", "{name}, change"),
    # columns of the GeoPackage layers, as QGIS shows them (aliases)
    "col.left_unit": ("左岸单位编码", "Left-bank unit ID"),
    "col.right_unit": ("右岸单位编码", "Right-bank unit ID"),
    "col.boundary_level": ("界河所在级别", "Boundary level"),
    "col.river_length_m": ("河流长度(米)", "River length (m)"),
    "col.n_rivers": ("河流数", "Rivers"),
    "col.boundary_length_m": ("界河长度(米)", "Along boundaries (m)"),
    "col.colour": ("配色", "Colour"),
    "col.per_level": ("{name}（{level}）", "{name} ({level})"),
    "col.units.unit_id": ("单位编码", "Unit ID"),
    "col.units.name": ("单位名称", "Unit"),
    # ------------------------------------------ QGIS styles (layer names, legends)
    "qgis.layer.reaches": ("河段（按{level}责任单位着色）", "Reaches (coloured by {level} unit)"),
    "qgis.layer.rivers": ("河流（按河长级别）", "Rivers (by chief level)"),
    "qgis.layer.units": ("行政单位", "Administrative units"),
    "qgis.layer.flags": (
        "需关注的河流（{level}，按严重程度）",
        "Flagged rivers ({level}, by severity)",
    ),
    "qgis.layer.roster": ("河长名录", "Chief roster"),
    "qgis.layer.segments": ("调整方案河段（{level}）", "Proposed segments ({level})"),
    "qgis.layer.changes": ("易主河段", "Stretches that change hands"),
    "qgis.layer.unit_changes": ("单位增减", "Gains and losses by unit"),
    "qgis.layer.unmatched": ("未对应河段", "Unmatched official segments"),
    "qgis.layer.events": ("工单", "Tickets"),
    "qgis.no_unit": ("无{level}单位", "No {level} unit"),
    "qgis.colour_slot": ("责任单位配色 {n}", "Unit colour {n}"),
    "qgis.severity_below": ("严重程度 < {value}", "Severity < {value}"),
    "bulletin.title": ("{month} 河长履职情况通报", "River chief bulletin, {month}"),
    "bulletin.subtitle": ("{name} · 按{level}排名", "{name} · ranked by {level}"),
    "bulletin.headline": ("本月概况", "This month"),
    "bulletin.required": ("应巡次数", "Patrols required"),
    "bulletin.done": ("已巡次数（有效）", "Valid patrols"),
    "bulletin.completion": ("巡河完成率", "Patrol completion"),
    "bulletin.received": ("受理工单", "Reports received"),
    "bulletin.closed": ("办结工单", "Reports closed"),
    "bulletin.closure": ("办结率 / 含结转", "Closure rate / with carried"),
    "bulletin.silent": ("沉默单位（无上报、无巡河）", "Silent units (no report, no patrol)"),
    "bulletin.unrouted": ("无法分派的工单", "Reports nobody could be named for"),
    "bulletin.ranking": ("{level}排名", "Ranking of {level} units"),
    "bulletin.rule": ("评分规则：{rule}", "Score: {rule}"),
    "bulletin.rate_note": (
        (
            "办结率 = 本月办结 ÷ 本月受理，上月结转的工单本月办结时可超过 100%；"
            "含结转 = 本月办结 ÷（本月受理 + 上月结转）。"
        ),
        (
            "Closure rate = closed ÷ received this month, above 100 % when older reports "
            "close; with carried = closed ÷ (received + carried over)."
        ),
    ),
    "bulletin.chart_completion": ("各{level}巡河完成率", "Patrol completion by {level}"),
    "bulletin.chart_closure": ("逐月办结率与巡河完成率", "Closure and patrol completion by month"),
    "bulletin.no_chief": ("未设河长", "no chief"),
    "bulletin.map": ("沉默与落后的{level}", "Silent and lagging {level} units"),
    "bulletin.legend_silent": ("沉默", "silent"),
    "bulletin.legend_lagging": ("未达标", "lagging"),
    "bulletin.legend_ok": ("正常", "on track"),
    "bulletin.none": ("无", "none"),
    "bulletin.made_with": ("rivermap {version} 生成", "Made with rivermap {version}"),
    "sheet.bulletin_units": ("单位指标", "unit indicators"),
    "sheet.bulletin_ranking": ("排名", "ranking"),
    "sheet.bulletin_chiefs": ("河长指标", "chief indicators"),
    "sheet.bulletin_silent": ("沉默单位", "silent units"),
    "sheet.bulletin_trend": ("环比", "month over month"),
    "sheet.bulletin_unrouted": ("未分派工单", "unrouted reports"),
    "sheet.bulletin_months": ("逐月", "by month"),
    # ----------------------------------------------------- workbook sheets
    "sheet.flags": ("需关注河流", "flags"),
    "sheet.segments": ("方案河段", "segments"),
    "sheet.changes": ("易主河段", "changes"),
    "sheet.units": ("单位增减", "units"),
    "sheet.unmatched": ("未对应河段", "unmatched"),
    "sheet.gaps": ("问题", "gaps"),
    "sheet.chiefs": ("河长", "chiefs"),
    "sheet.signboards": ("公示牌-{level}", "signboards-{level}"),
    "sheet.events": ("工单", "tickets"),
    "sheet.patrols": ("巡河记录", "patrols"),
    "sheet.stretches": ("巡查河段", "stretches patrolled"),
    "sheet.duty": ("巡河考核", "patrol duty"),
    "sheet.duties": ("巡河要求", "duties"),
    "sheet.about": ("说明", "about"),
    # --------------------------------------------------------- the web map
    "ui.title": ("河长制责任地图 · rivermap", "River chief responsibility map · rivermap"),
    "ui.rivers": ("河流（按责任单位着色）", "Rivers (coloured by responsible unit)"),
    "ui.flagged": ("需关注的河流", "Flagged rivers"),
    "ui.plan": ("调整方案河段", "Proposed segments"),
    "ui.unit_layer": ("{level}界", "{level} units"),
    "ui.river": ("河流", "River"),
    "ui.reach": ("河段", "Reach"),
    "ui.km": ("公里", "km"),
    "ui.from_to": ("起止", "From–to"),
    "ui.length": ("长度", "Length"),
    "ui.responsible": ("责任单位", "Responsible unit"),
    "ui.boundary_reach": ("界河段", "Boundary reach"),
    "ui.left_bank": ("左岸", "Left bank"),
    "ui.right_bank": ("右岸", "Right bank"),
    "ui.outside": ("区域外", "Outside all units"),
    "ui.outside_reach": ("区域外河段", "Outside all units"),
    "ui.chief": ("河长", "Chief"),
    "ui.phone": ("电话", "Phone"),
    "ui.flag": ("需关注", "Flag"),
    "ui.units_along": ("沿途单位", "Units along the river"),
    "ui.reasons": ("问题", "Reasons"),
    "ui.severity": ("严重程度", "Severity"),
    "ui.flag_grades": ("需关注的河流（按严重程度）", "Flagged rivers by severity"),
    "ui.flag_threshold": ("严重程度 ≥", "Severity ≥"),
    "ui.flag_all": ("全部", "all"),
    "ui.flag_shown": ("显示 {shown} / {total} 条", "{shown} of {total} shown"),
    "ui.flag_threshold_hint": (
        "只突出严重程度不低于此值的河流（严重程度 = 10×其他单位所占份额 + 5×沿界份额 + 交接次数）",
        (
            "Only rivers at least this severe are highlighted (severity = 10 × share held "
            "by other units + 5 × share along boundaries + hand-overs)"
        ),
    ),
    "ui.proposal": ("建议", "Proposal"),
    "ui.handovers": ("交接次数", "Handovers"),
    "ui.segment": ("方案河段", "Segment"),
    "ui.search": ("搜索河流、行政区、河长或编号…", "Search a river, unit, chief or id…"),
    "ui.search_more": ("还有 {n} 条，点此显示更多…", "{n} more: show more…"),
    "ui.lang_switch": ("English", "中文"),
    "ui.lang_switch_hint": ("切换为英文", "Switch to Chinese"),
    "ui.no_match": ("无匹配结果", "No match"),
    "ui.legend": ("图例", "Legend"),
    "ui.legend_colour": ("相邻单位颜色不同", "neighbouring units differ"),
    "ui.legend_styles": ("河流样式", "River styles"),
    "ui.legend_units": ("责任单位颜色", "Responsible-unit colours"),
    "ui.legend_units_count": ("（{level}，{n}）", " ({level}, {n})"),
    "ui.legend_collapse": ("收起", "Hide"),
    "ui.legend_expand": ("展开", "Show"),
    "ui.legend_collapse_hint": ("收起单位颜色列表", "Hide the list of unit colours"),
    "ui.legend_expand_hint": ("展开单位颜色列表", "Show the list of unit colours"),
    "ui.more": ("其余", "more"),
    "ui.fullscreen": ("全屏", "Full screen"),
    "ui.exit_fullscreen": ("退出全屏", "Exit full screen"),
    "ui.events": ("工单", "Tickets"),
    "ui.patrols": ("巡河轨迹", "Patrol tracks"),
    "ui.valid_patrol": ("有效巡河", "Valid patrol"),
    "ui.invalid_patrol": ("无效巡河", "Invalid patrol"),
    "ui.unmatched_events": ("未匹配工单（红圈）", "Unmatched tickets (red ring)"),
    "ui.ambiguous_events": ("位置存疑工单（虚线圈）", "Ambiguous tickets (dashed ring)"),
    "ui.no_status": ("状态未填", "No status"),
    "ui.no_location_count": (
        "另有 {n} 个工单无位置信息，未在图上显示",
        "{n} more ticket(s) without location, not drawn",
    ),
    "ui.cluster_hint": (
        "圆内数字为该处工单数，点击放大",
        "the number in a circle counts the tickets there; click to zoom in",
    ),
    "ui.zoom_in": ("点击放大", "Click to zoom in"),
    # ------------------------------------------- the map's editing mode (edit.js)
    "ui.edit_panel": ("方案编辑", "Plan editor"),
    "ui.edit_plan": ("方案 {id}", "Plan {id}"),
    "ui.edit_split": ("断开", "Split"),
    "ui.edit_assign": ("改划", "Reassign"),
    "ui.edit_merge": ("合并", "Merge"),
    "ui.edit_undo": ("撤销", "Undo"),
    "ui.edit_redo": ("重做", "Redo"),
    "ui.edit_download": ("下载修改", "Download edits"),
    "ui.edit_hint_none": (
        "选择一种操作，再点击地图上的方案河段",
        "Choose an action, then click a plan segment on the map",
    ),
    "ui.edit_hint_split": (
        "点击方案河段上要断开的位置",
        "Click the segment where it should be cut",
    ),
    "ui.edit_hint_assign": ("点击要改划的方案河段", "Click the segment to give to another unit"),
    "ui.edit_hint_merge": (
        "先点击一段，再点击同一条河上与它相邻的一段",
        "Click a segment, then a neighbouring segment of the same river",
    ),
    "ui.edit_split_at": ("在 {m} 米处断开（{k}）", "Cut at {m} m ({k})"),
    "ui.edit_on_cut": (
        "此处 1 米内已有断点，无需断开",
        "There is a cut within 1 m of this point: nothing to split",
    ),
    "ui.edit_snapped": (
        "已移到 {d} 米外的责任单位交界处",
        "moved {d} m onto where the responsible unit changes",
    ),
    "ui.edit_now": ("现为 {unit}", "now {unit}"),
    "ui.edit_touching": ("河段经过的{level}", "{level} units along the segment"),
    "ui.edit_find_unit": ("按名称或编码查找{level}…", "Find a {level} unit by name or code…"),
    "ui.edit_no_unit": ("请选择一个单位", "Choose a unit"),
    "ui.edit_picked": ("改划给 {unit}", "Give to {unit}"),
    "ui.edit_merge_pick": (
        "已选 {seg}，再点击相邻的一段",
        "{seg} selected: now click a neighbouring segment",
    ),
    "ui.edit_not_adjacent": (
        "两段不相邻：只能合并同一条河上相邻的河段",
        "Not neighbours: merge neighbouring segments of one river",
    ),
    "ui.edit_merge_to": ("合并后交给", "The merged segment goes to"),
    "ui.edit_note": ("备注（可选）", "Note (optional)"),
    "ui.edit_confirm": ("确定", "Confirm"),
    "ui.edit_cancel": ("取消", "Cancel"),
    "ui.edit_list": ("修改记录", "Edits"),
    "ui.edit_none": ("尚无修改", "No edits yet"),
    "ui.edit_km": ("各单位河长变化（公里）", "Km per unit, with the change"),
    "ui.edit_before": ("原", "Before"),
    "ui.edit_after": ("现", "Now"),
    "ui.edit_change": ("增减", "Change"),
    "ui.edit_no_change": ("各单位公里数未变", "No unit's length has changed"),
    "ui.edit_count": ("方案河段 {before} → {after} 段", "Segments: {before} → {after}"),
    "ui.edit_desc_split": ("断开 {river}，{m} 米处", "Split {river} at {m} m"),
    "ui.edit_desc_assign": ("{river} {a}–{b} 公里改划给 {unit}", "{river} {a}–{b} km to {unit}"),
    "ui.edit_desc_merge": (
        "合并 {river} {a}–{b} 公里，交给 {unit}",
        "Merge {river} {a}–{b} km to {unit}",
    ),
    "ui.edit_preview": (
        "页面中为预览；下载的文件由 plan.apply_edits 或 rivermap redivide --edits 应用",
        "A preview: plan.apply_edits or rivermap redivide --edits applies the downloaded file",
    ),
    "ui.edit_load": ("载入修改", "Load edits"),
    "ui.edit_loaded": ("已载入 {n} 项修改", "{n} edit(s) loaded"),
    "ui.edit_load_unreadable": (
        "无法读取：不是 rivermap 下载的修改文件（GeoJSON FeatureCollection）",
        "Cannot read this: not a file of edits (a GeoJSON FeatureCollection) as rivermap writes",
    ),
    "ui.edit_load_other_plan": (
        "这些修改是在方案 {plan} 上做的，不是本方案；未载入",
        "These edits were made on plan {plan}, not on this plan; nothing loaded",
    ),
    "ui.edit_load_failed": (
        "修改 #{n} 无法在本图上重现（{why}）；未载入任何修改",
        "Edit #{n} cannot be made on this map ({why}); nothing loaded",
    ),
    "ui.edit_why_action": (
        "操作应为 split、assign 或 merge",
        "the action must be split, assign or merge",
    ),
    "ui.edit_why_river": ("河流不在本方案中", "the river is not in this plan"),
    "ui.edit_why_unit": (
        "缺少单位，或单位不属于本方案的层级",
        "no unit, or a unit not of the plan's level",
    ),
    "ui.edit_why_point": ("缺少点位（Point）", "it has no Point"),
    "ui.edit_why_far": ("点位离河流太远", "its point is too far from the rivers"),
    "ui.edit_why_cut": ("点位附近没有可合并的断点", "no cut between two segments near its point"),
    "ui.edit_why_ids": (
        "segment_ids 不是本方案同一条河上相接的河段",
        "its segment_ids are not adjoining segments of one river of this plan",
    ),
    # the meeting tools: basemaps, print view (meeting.js)
    "ui.basemap_none": ("无底图", "No basemap"),
    "ui.basemap_osm": ("OpenStreetMap 地图", "OpenStreetMap"),
    "ui.basemap_tianditu": ("天地图", "Tianditu"),
    "ui.basemap_gaode": ("高德地图", "Gaode (AutoNavi)"),
    "ui.print_view": ("打印视图", "Print view"),
    "ui.print_a4": ("A4 横向", "A4 landscape"),
    "ui.print_a3": ("A3 横向", "A3 landscape"),
    "ui.print_go": ("打印…", "Print…"),
    "ui.print_exit": ("退出打印视图", "Leave the print view"),
    "ui.print_hint": (
        "拖动、缩放地图以调整打印范围；纸张与方向已按所选设置，Esc 退出",
        "drag and zoom the map to frame the print; paper and orientation are set; Esc leaves",
    ),
    "ui.print_level": ("按{level}着色", "coloured by {level}"),
    "ui.print_plan": ("调整方案：{level}", "proposed segments: {level}"),
    "ui.print_date": ("制图日期：{date}", "Date: {date}"),
    "ui.print_source": ("数据来源：{credit}", "Data: {credit}"),
    "ui.print_basemap": ("底图：{credit}", "Basemap: {credit}"),
    "ui.print_made": ("制图：{tool}", "Made with {tool}"),
    "ui.north": ("北", "N"),
    # ----------------------------------------------------------- the atlas
    "atlas.atlas_title": ("{name}河长制责任图册", "River chief responsibility atlas: {name}"),
    "atlas.atlas_title_plain": ("河长制责任图册", "River chief responsibility atlas"),
    "atlas.unit_title": (
        "{name}（{code}）河流责任图",
        "{name} ({code}): rivers and responsibility",
    ),
    "atlas.table_title": ("{name}（{code}）（续）", "{name} ({code}), continued"),
    "atlas.unit_sub": (
        "河段按{level}责任单位着色；界河段为虚线；灰色为相邻{by}",
        (
            "Reaches coloured by responsible {level}; boundary reaches dashed; "
            "neighbouring {by} units in grey"
        ),
    ),
    "atlas.overview_sub": (
        (
            "河流按河长级别着色 · 河流 {rivers} 条，河段 {reaches} 段（界河段 {boundary} 段），"
            "总长 {km} 公里 · 制图日期 {date}"
        ),
        (
            "Rivers coloured by chief level · {rivers} rivers, {reaches} reaches "
            "({boundary} along boundaries), {km} km · {date}"
        ),
    ),
    "atlas.plot_title": ("河段按{level}责任单位着色", "Reaches coloured by responsible {level}"),
    "atlas.chief_level": ("河长级别", "Chief level"),
    "atlas.above": ("跨{level}（{level}级以上协调）", "Across {level} units (above {level})"),
    "atlas.outside": ("区域外河段", "Outside all units"),
    "atlas.boundary_shared": ("界河段（两岸分别负责）", "Boundary reach (each bank its own)"),
    "atlas.other_reaches": ("其他河段", "Other reaches"),
    "atlas.more_units": ("…… 其余 {n} 个单位", "… {n} more units"),
    "atlas.plan_points": ("方案分段点", "Proposed split points"),
    "atlas.made_with": ("制图：rivermap {version}", "Made with rivermap {version}"),
    "atlas.source": ("数据来源：{credit}", "Data: {credit}"),
    "atlas.page": ("第 {n} 页", "Page {n}"),
    "atlas.no_rivers_units": (
        "无河流的{level}（{n} 个，未单独成页）：",
        "{level} units without rivers ({n}, no page of their own): ",
    ),
    "atlas.no_rivers_here": ("本单位内无河流。", "No river in this unit."),
    "atlas.reaches_table": ("河段表", "Reaches"),
    "atlas.reaches_table_cont": ("河段表（续）", "Reaches (continued)"),
    "atlas.segments_table": ("调整方案河段（{level}）", "Proposed segments ({level})"),
    "atlas.segments_table_cont": (
        "调整方案河段（{level}，续）",
        "Proposed segments ({level}, continued)",
    ),
    "atlas.from_to_km": ("起止（公里）", "From–to (km)"),
    "atlas.length_km": ("长度（公里）", "Length (km)"),
    "atlas.km": ("公里", "km"),
    "atlas.m": ("米", "m"),
    "atlas.north": ("北", "N"),
    "atlas.unnamed": ("未命名 {id}", "unnamed {id}"),
    "atlas.segment": ("河段编号", "Segment"),
    # ---------------------------------------------------- signboards
    "board.title": ("河长公示牌", "River chief signboard"),
    "board.river": ("河流名称：{river}", "River: {river}"),
    "board.ends": ("起点：{start}　　终点：{end}", "From: {start}    To: {end}"),
    "board.length": ("河道长度：{km} 公里", "Length: {km} km"),
    "board.unit": ("责任单位：{unit}", "Responsible unit: {unit}"),
    "board.chiefs": ("河长", "River chiefs"),
    "board.duties": (
        "河长职责：负责组织领导河道的管理和保护工作，开展巡河，协调解决重大问题",
        (
            "Duties: leads the management and protection of the river, patrols it, "
            "and resolves its problems"
        ),
    ),
    "board.supervisor": ("监督单位：{supervisor}", "Supervised by: {supervisor}"),
    "board.hotline": ("监督电话：{hotline}", "Hotline: {hotline}"),
    "board.scan": ("扫码反映问题", "Scan to report a problem"),
    "board.footer": ("rivermap {version}　{date}", "rivermap {version}, {date}"),
    # ---------------------------------------------------- messages
    "msg.validate_ok": (
        "通过：{rivers} 条河流，{units} 个单元（{levels}），未发现问题",
        "OK: {rivers} rivers, {units} units in levels {levels}; no problems found",
    ),
    "msg.problems": ("发现 {n} 个问题", "{n} problem(s) found"),
    "msg.bug": (
        "rivermap: 内部错误（rivermap {version} 的缺陷，不是数据的问题），请连同命令和下文报告",
        (
            "rivermap: internal error (a bug in rivermap {version}, not a problem with your "
            "input): please report it with the command and the lines below"
        ),
    ),
    "msg.assigned": (
        "{rivers} 条河流，{reaches} 个河段（界河段 {boundary} 个），共 {km} km → {path}",
        "{rivers} rivers, {reaches} reaches ({boundary} boundary), {km} km → {path}",
    ),
    "msg.peak_memory": ("（内存峰值 {gb} GB）", " (peak memory {gb} GB)"),
    "msg.roster_problems": ("河长名录问题 {n} 个", "{n} roster problem(s)"),
    "msg.flagged": ("需关注的河流 {n} 处", "{n} river(s) flagged"),
    "msg.unmatched": ("未能对应到河流的现行河段：", "official segments matching no river:"),
    "msg.wrote": ("已写出 {path}", "wrote {path}"),
    "msg.wrote_size": ("已写出 {path}（{mb} MB）", "wrote {path} ({mb} MB)"),
    "msg.init_done": (
        "已写出 {path}：编辑后运行 rivermap run {path}",
        "wrote {path}: edit it, then run: rivermap run {path}",
    ),
    "msg.step.read": ("读取数据", "reading inputs"),
    "msg.step.validate": ("检查数据", "validating"),
    "msg.step.assign": ("划分河段", "assigning reaches"),
    "msg.step.flags": ("标记需关注河流", "flagging"),
    "msg.step.redivide": ("生成调整方案", "redividing"),
    "msg.step.chiefs": ("核查河长名录", "checking the roster"),
    "msg.step.map": ("绘制交互地图", "drawing the map"),
    "msg.step.atlas": ("生成图册", "making the atlas"),
    "msg.step.route": ("分派工单", "routing reports"),
    "msg.step.patrols": ("考核巡河", "judging patrols"),
    "msg.step.bulletin": ("生成月度通报", "making the bulletin"),
    "msg.step.signboards": ("生成河长公示牌", "making the signboards"),
    "msg.finding.silent": ("沉默单位", "silent units"),
    "msg.finding.unmatched": ("未找到应办河长的工单", "reports with no chief to act"),
    "msg.finding.short_duty": ("未达巡河要求（人次）", "person-periods short of the duty"),
    "msg.finding.validation": ("数据问题", "validation problems"),
    "msg.finding.flags": ("需关注的河流", "rivers flagged"),
    "msg.finding.changes": ("方案中易主的河段", "segments that change hands"),
    "msg.finding.roster": ("河长名录问题", "roster gaps"),
    "msg.summary.title": ("rivermap: {name}", "rivermap: {name}"),
    "msg.summary.embedded": ("（内置真实数据）", " (embedded real data)"),
    "msg.summary.units": ("单元", "units"),
    "msg.summary.unit_count": ("{level} {n} 个", "{n} {level}"),
    "msg.summary.rivers": ("河流", "rivers"),
    "msg.summary.river_totals": (
        "{rivers} 条，{km} km；{reaches} 个河段（界河段 {boundary} 个）",
        "{rivers}, {km} km; {reaches} reaches ({boundary} boundary)",
    ),
    "msg.summary.validate": ("数据检查", "validate"),
    "msg.summary.problems": ("发现 {n} 个问题：", "{n} problem(s):"),
    "msg.summary.clean": ("未发现问题", "no problems"),
    "msg.summary.per_level": ("各{level}:", "per {level}:"),
    "msg.summary.reaches": ("河段", "reaches"),
    "msg.summary.above": (
        "河长层级在{level}以上的河流（{n} 条）:",
        "rivers whose chief level is above {level} ({n}):",
    ),
    "msg.summary.chief_level": ("河长层级", "chief level"),
    "msg.summary.findings": ("发现:", "findings:"),
    "msg.summary.outputs": ("输出文件:", "outputs:"),
    "msg.summary.time": ("用时 {s} s", "time {s} s"),
    "msg.cmd.rivermap": ("河长制责任划分工具", "River-chief (河长制) responsibility mapping"),
    "msg.cmd.demo": ("内置浙江数据演示", "the whole job on the embedded Zhejiang data"),
    "msg.cmd.init": ("生成项目文件模板", "write a commented project file"),
    "msg.cmd.run": ("按项目文件运行全部步骤", "run a project file end to end"),
    "msg.cmd.validate": ("检查输入数据", "report every problem in rivers and units"),
    "msg.cmd.assign": ("划分河段与责任单元", "split rivers into reaches, assign responsibility"),
    "msg.cmd.flags": ("需调整的河流", "rivers whose responsibility needs redrawing"),
    "msg.cmd.redivide": ("河段调整方案", "propose a redivision, diff it, apply edits"),
    "msg.cmd.map": ("交互式离线地图", "an interactive offline HTML map"),
    "msg.cmd.atlas": ("打印图册", "a printable PDF atlas"),
    "msg.cmd.chiefs": ("河长名录核查", "check a chief roster: gaps and conflicts"),
    "msg.cmd.route": ("工单分派到河段与河长", "route each report to its reach, unit and chief"),
    "msg.cmd.patrols": ("巡河轨迹考核（应巡/已巡）", "judge patrol tracks against the duties"),
    "msg.cmd.signboards": ("河长公示牌（PDF）", "printable river chief signboards (PDF)"),
    "msg.cmd.bulletin": ("月度通报（网页、工作簿）", "the monthly bulletin (page, workbook)"),
    "msg.bulletin_made": (
        "{month} 通报：{n} 个单位参与排名，{silent} 个沉默单位，{unrouted} 条工单无法分派",
        "bulletin of {month}: {n} unit(s) ranked, {silent} silent, {unrouted} report(s) unrouted",
    ),
    "msg.routed": (
        "{n} 条工单：{matched} 条找到应办河长，{unmatched} 条未匹配，{ambiguous} 条位置存疑",
        "{n} report(s): {matched} routed to a chief, {unmatched} unmatched, {ambiguous} ambiguous",
    ),
    "msg.patrols_judged": (
        "{n} 次巡河，有效 {valid} 次；{short} 人次未达巡河要求",
        "{n} patrol(s), {valid} valid; {short} person-period(s) short of the duty",
    ),
    "msg.help.lang": ("消息与输出的语言", "language of messages and outputs"),
    "msg.help.name_col": (
        "河流名称字段（默认：name、名称、河流名称 …）",
        "river name column (default: name, or a usual Chinese name column)",
    ),
    "msg.help.unit_name_col": (
        "单元名称字段（默认：name、*_name、名称 …）",
        "unit name column (default: name, *_name, or a usual Chinese name column)",
    ),
    "msg.help.tianditu_key": (
        "--basemap tianditu 所需的天地图密钥",
        "Tianditu key for --basemap tianditu",
    ),
}

_SEP = {"zh": "、", "en": ", "}
_CODE_COLUMNS_LEVEL = ("level", "chief_level", "unit_level", "boundary_level")
#: Columns holding one code, read as the term ``<prefix>.<code>``.
_CODE_COLUMNS: dict[str, str] = {
    "kind": "kind",
    "source": "source",
    "category": "category",
    "status": "status",
    "match": "match",
    "side": "side",
    "period": "period",
}
#: Columns holding comma-separated codes, by table: ``column -> prefix``.
_CODE_LISTS: dict[str | None, dict[str, str]] = {
    None: {"reasons": "reason"},
    "events": {"reasons": "reason", "reason": "route"},
    "patrols": {"reasons": "patrol"},
}


# ======================================================================= words
def _check_lang(lang: str) -> None:
    """Raise ParameterError unless ``lang`` is ``"zh"`` or ``"en"``."""
    if lang not in ("zh", "en"):
        msg = f"lang must be one of 'zh', 'en'; got {lang!r}"
        raise ParameterError(msg)


def _pick(pair: tuple[str, str], lang: str) -> str:
    """Return the Chinese or the English of ``pair``."""
    _check_lang(lang)
    return pair[0] if lang == "zh" else pair[1]


def term(key: str, lang: str, **fields: Any) -> str:
    """Return the term ``key`` in ``lang`` (``"zh"`` or ``"en"``), with ``fields`` filled in.

    Examples
    --------
    >>> term("ui.unit_layer", "zh", level="区县")
    '区县界'
    """
    return _pick(TERMS[key], lang).format(**fields) if fields else _pick(TERMS[key], lang)


def fill(key: str, lang: str, **fields: Any) -> np.ndarray:
    """Fill the term ``key`` for many rows at once: :func:`term` over arrays.

    Each field is an array of text (one value per row) or one text for every
    row; the result is an object array of sentences. Fields the term does not
    use are ignored, so the two languages may use different ones.

    Examples
    --------
    >>> fill("ui.unit_layer", "en", level=np.array(["city", "district"], dtype=object)).tolist()
    ['city units', 'district units']
    """
    out: Any = ""
    for literal, name, _spec, _conv in string.Formatter().parse(term(key, lang)):
        out = out + literal
        if name is not None:
            out = out + fields[name]
    n = max((np.size(v) for v in fields.values() if np.ndim(v)), default=1)
    return np.broadcast_to(np.asarray(out, dtype=object), (n,)).copy()


def level_label(level: str, lang: str) -> str:
    """Return a level's name: the Chinese name of a known level, else the level as it is.

    A chief level above the top level (``"above:district"``) reads 区县以上 /
    ``above district``.

    Examples
    --------
    >>> level_label("street", "zh"), level_label("ward", "zh"), level_label("above:city", "zh")
    ('乡镇街道', 'ward', '市以上')
    """
    if level.startswith("above:"):
        inner = level_label(level.split(":", 1)[1], lang)
        return f"{inner}以上" if lang == "zh" else f"above {inner}"
    known = LEVELS.get(level.lower())
    if known is None:
        _check_lang(lang)
        return level
    return _pick((known[0], known[2]), lang)


def level_rank(level: str, lang: str) -> str:
    """Return a level's rank as in a chief's title (县级 / ``district``); else its name."""
    known = LEVELS.get(level.lower())
    if known is None:
        return level_label(level, lang)
    return _pick((known[1], known[2]), lang)


def chief_title(level: str, lang: str) -> str:
    """Return the title of a level's river chief: 县级河长 / ``district chief``.

    Examples
    --------
    >>> chief_title("ward", "zh"), chief_title("ward", "en")
    ('ward河长', 'ward chief')
    """
    return level_rank(level, lang) + ("河长" if lang == "zh" else " chief")


def reason_labels(reasons: str, lang: str) -> str:
    """Return a flags table's ``reasons`` (``"crosses,slivers"``) as words joined for ``lang``.

    Unknown reasons are kept as they are.

    Examples
    --------
    >>> reason_labels("boundary,slivers", "en")
    'runs along a boundary, slivers'
    """
    return code_labels(reasons, lang, "reason")


def code_labels(codes: str, lang: str, prefix: str) -> str:
    """Return comma-separated codes as the words of the terms ``<prefix>.<code>``, joined.

    Unknown codes are kept as they are, so a category an office made up reads
    as itself.

    Examples
    --------
    >>> code_labels("short_time,too_fast", "zh", "patrol")
    '巡河时长不足、速度过快（疑似驾车经过）'
    >>> code_labels("closed", "en", "status"), code_labels("路灯", "en", "category")
    ('closed', '路灯')
    """
    found = [c.strip() for c in str(codes).split(",") if c.strip()]
    return join_list(
        (term(f"{prefix}.{c}", lang) if f"{prefix}.{c}" in TERMS else c for c in found), lang
    )


def list_separator(lang: str) -> str:
    """Return what stands between the items of a list: ``"、"`` in Chinese, ``", "`` in English."""
    return _pick((_SEP["zh"], _SEP["en"]), lang)


def join_list(items: Iterable[str], lang: str) -> str:
    """Join items as a list (see :func:`list_separator`)."""
    return list_separator(lang).join(items)


# ===================================================================== headers
_CHIEF_COLUMN = re.compile(r"chief_(.+?)(_title|_phone)?")
_CHIEF_PARTS = {"": ("", ""), "_title": ("职务", " title"), "_phone": ("电话", " phone")}


def header(column: str, lang: str, *, table: str | None = None) -> str:
    """Return the header of ``column`` in a table written for people.

    Parameters
    ----------
    column
        The column's name in rivermap's tables.
    lang
        ``"zh"`` or ``"en"``.
    table
        The table's kind where one of its columns reads differently
        (``"chiefs"``: ``name`` is a person; ``"plan"``: ``name`` is a
        segment's or unit's name).

    Returns
    -------
    str
        The header; a column rivermap has no word for keeps its name.

    Examples
    --------
    >>> header("chief_district_phone", "zh"), header("chief_district", "en")
    ('县级河长电话', 'district chief')
    >>> header("received_before", "zh"), header("received_change", "en")
    ('本月受理(上月)', 'Received, change')
    """
    for key in (f"col.{table}.{column}", f"col.{column}") if table else (f"col.{column}",):
        if key in TERMS:
            return term(key, lang)
    for suffix, key in (("_before", "col.before"), ("_change", "col.change")):
        if column.endswith(suffix):  # month over month: x_before, x_change read as x's
            return term(key, lang, name=header(column[: -len(suffix)], lang, table=table))
    m = _CHIEF_COLUMN.fullmatch(column)
    if m:
        part = _CHIEF_PARTS[m.group(2) or ""]
        return chief_title(m.group(1), lang) + _pick(part, lang)
    _check_lang(lang)
    return column


def headers(columns: Iterable[str], lang: str, *, table: str | None = None) -> list[str]:
    """Return :func:`header` of every column."""
    return [header(str(c), lang, table=table) for c in columns]


def localize(frame: pd.DataFrame, lang: str, *, table: str | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` for people: codes as words and headers in ``lang``.

    Level columns (``level``, ``chief_level``, ``unit_level``,
    ``boundary_level``) read as level names, ``reasons`` as flag reasons,
    ``kind`` as reach kinds; other values are kept. Geometry columns are
    dropped.

    Examples
    --------
    >>> t = pd.DataFrame({"level": ["district"], "reasons": ["crosses,boundary"]})
    >>> localize(t, "zh").to_dict("records")
    [{'级别': '区县', '问题': '跨界、界河'}]
    """
    out = pd.DataFrame(frame).copy()
    geo = [
        c
        for c in out.columns
        if isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype)
        and out[c].dtype.name == "geometry"
    ]
    out = out.drop(columns=geo)
    for col in _CODE_COLUMNS_LEVEL:
        if col in out.columns:
            out[col] = _mapped(out[col], lambda v: level_label(v, lang))
    for col, prefix in _CODE_COLUMNS.items():
        if col in out.columns:
            out[col] = _mapped(out[col], lambda v, p=prefix: code_labels(v, lang, p))
    for col, prefix in _CODE_LISTS.get(table, _CODE_LISTS[None]).items():
        if col in out.columns:
            out[col] = _mapped(out[col], lambda v, p=prefix: code_labels(v, lang, p))
    out.columns = pd.Index(headers(out.columns, lang, table=table))
    return out


def _mapped(values: pd.Series, word: Any) -> pd.Series:
    """Apply ``word`` to every distinct text value (missing values stay missing)."""
    ok = ~is_missing(values)
    out = values.astype(object).copy()
    distinct = pd.unique(values[ok].astype(str))
    lookup = {v: word(v) for v in distinct}
    out[ok] = values[ok].astype(str).map(lookup)
    return out


# ============================================================== drawn labels
#: How wide a drawn name may be, in columns (see :func:`columns`): 20 Chinese
#: characters or 40 Latin letters. Every name of the national data set
#: (``../shared/data/china``) fits whole: the widest are 京杭运河(梁济运河、湖西航道、
#: 不牢河) with 36 columns and 双江拉祜族佤族布朗族傣族自治县 with 30.
LABEL_COLUMNS = 40
_ELLIPSIS = "…"


def _char_columns(ch: str) -> int:
    """Columns of one character: 2 wide (CJK), 0 combining or a format control, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def columns(s: str) -> int:
    r"""Return how many columns ``s`` takes, a wide (East Asian) character counting two.

    Combining marks and invisible format characters (bidi controls, zero-width
    joiners) count none.

    Examples
    --------
    >>> columns("钱塘江"), columns("Rhein"), columns("Ｒ1"), columns("e\u0301")
    (6, 5, 3, 1)
    """
    return sum(_char_columns(ch) for ch in s)


#: Explicit directional formatting: embeddings, overrides (U+202A–U+202E) and
#: isolates (U+2066–U+2069), for :meth:`str.translate` to drop.
_BIDI_CONTROLS: dict[int, None] = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi(s: str) -> str:
    r"""Return ``s`` without explicit directional formatting (U+202A–U+202E, U+2066–U+2069).

    Text drawn where nothing isolates it (a PDF page, whose layout runs the
    bidirectional algorithm over a whole line) would otherwise turn the words
    after an override (U+202E) around: "\u202eWEST河长制责任图册" reads
    "册图任责制长河TSEW". Right-to-left scripts keep their direction, which
    does not depend on these characters.

    Examples
    --------
    >>> strip_bidi("\u202eWEST河长制"), strip_bidi("钱塘江")
    ('WEST河长制', '钱塘江')
    """
    return s.translate(_BIDI_CONTROLS)


def clip_label(s: str, width: int = LABEL_COLUMNS) -> str:
    r"""Return ``s`` cut with "…" to at most ``width`` columns, for drawing.

    Only what is drawn (labels, legends, headings, chart labels) is cut; the
    ellipsis takes one column. Directional formatting is dropped (see
    :func:`strip_bidi`): a label stands alone. Work is bounded by ``width``,
    not by the length of ``s``, so a name of a million characters costs
    what a short one does.

    Examples
    --------
    >>> clip_label("钱塘江"), clip_label("\u202eWEST")
    ('钱塘江', 'WEST')
    >>> clip_label("富" * 10_000)
    '富富富富富富富富富富富富富富富富富富富…'
    >>> clip_label("Qiantang River", 10), columns(clip_label("x" * 10_000))
    ('Qiantang…', 40)
    """
    kept: list[str] = []
    used = 0
    for ch in s:
        if ord(ch) in _BIDI_CONTROLS:
            continue
        w = _char_columns(ch)
        if used + w > width:
            return _with_ellipsis(kept, used, width)
        kept.append(ch)
        used += w
    return s if len(kept) == len(s) else "".join(kept)


def _with_ellipsis(kept: list[str], used: int, width: int) -> str:
    """Return ``kept`` (``used`` columns) shortened until it and "…" fit ``width``, with "…".

    Blanks before the "…" go.
    """
    while kept and used + 1 > width:
        used -= _char_columns(kept.pop())
    return "".join(kept).rstrip() + _ELLIPSIS


# ================================================================ missing text
def is_missing(values: Any) -> Any:
    """Tell where a value is missing text: None, NaN, ``pd.NA`` or the empty string.

    Works on one value (returns a bool) and on arrays and Series (returns a
    boolean array). Readers strip cells as they read them, so a cell of blanks
    arrives here as ``""``.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(""), is_missing("0")
    (True, True, True, False)
    >>> is_missing(pd.Series(["a", None, ""])).tolist()
    [False, True, True]
    """
    if isinstance(values, str):
        return values == ""
    if np.ndim(values) == 0:
        return (
            values is None or values is pd.NA or (isinstance(values, float) and math.isnan(values))
        )
    arr = np.asarray(values, dtype=object)
    out = np.asarray(pd.isna(arr), dtype=bool).copy()
    out[~out] = arr[~out] == ""
    return out


def text_or(value: Any, default: Any = None) -> Any:
    """``str(value)``, or ``default`` when the value is missing text (see :func:`is_missing`).

    Examples
    --------
    >>> text_or(12), text_or(None, "—"), text_or("", None)
    ('12', '—', None)
    """
    return default if is_missing(value) else str(value)


def texts(values: Any, missing: Any = None) -> np.ndarray:
    """Return an object array of text, with ``missing`` where a value is missing text.

    ``missing=""`` gives strings that concatenate elementwise with ``+``;
    ``None`` (the default) gives what GeoPackages and JSON store as null.
    Values that are not missing are kept as they are.

    Examples
    --------
    >>> texts(["a", None, float("nan"), ""], missing="").tolist()
    ['a', '', '', '']
    """
    out = np.asarray(values, dtype=object).copy()
    out[is_missing(out)] = missing
    return out
