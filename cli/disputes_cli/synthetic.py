"""Realistic synthetic claims, and the path each is to take through the agencies.

Mixes follow the seeds: most disputes are new-employment-form workers' (delivery riders,
ride-hailing drivers, couriers, truck drivers, domestic workers), mostly over unpaid wages,
some in groups, a share asking for legal aid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from disputes_shared.contract.consent import sensitive_data_consent
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.contract.stations import DISTRICTS, stations
from disputes_shared.contract.vocabularies import CHANNELS, RELATIONSHIPS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚"]
PLATFORMS = {
    "food_delivery": ["美团", "饿了么"],
    "ride_hailing": ["滴滴出行", "曹操出行", "T3出行"],
    "express_delivery": ["顺丰", "中通", "京东物流"],
    "trucking": ["货拉拉", "满帮"],
    "domestic_service": ["58到家", "天鹅到家"],
}
EMPLOYER_NAMES = ["迅达", "安顺", "锦程", "蓉城", "天府", "金沙", "锦华", "宏达", "顺捷", "恒通",
                  "川信", "明辉", "新程", "立诚", "博远", "汇丰源", "瑞祥", "鑫盛", "德润", "长运"]
EMPLOYER_TRADES = ["配送服务", "物流", "人力资源", "建筑劳务", "家政服务", "供应链", "网络科技",
                   "商贸"]
INDUSTRY_MIX = [("food_delivery", 28), ("ride_hailing", 14), ("express_delivery", 18), ("trucking", 9),
                ("domestic_service", 9), ("construction", 10), ("manufacturing", 8), ("retail", 4)]
CLAIM_MIX = {
    "unpaid_wages": 55, "work_injury": 12, "penalties_deductions": 10,
    "termination_compensation": 12, "social_insurance": 6, "relationship_recognition": 5,
}

# Each path: how the agencies' staff will act, and how the case must end.
PATHS: dict[str, tuple[int, str]] = {
    "mediated_paid": (33, "mediated"),
    "withdrawn": (6, "withdrawn"),
    "station_returned_then_mediated": (7, "mediated"),
    "agreement_unpaid_confirmed_paid": (8, "confirmed_and_paid"),
    "agreement_unpaid_enforced": (5, "enforced"),
    "failed_award_performed": (19, "award_performed"),
    "failed_award_litigated": (8, "judgment_performed"),
    "failed_award_enforced": (8, "enforced"),
    "arbitration_refused_closed": (6, "abandoned"),
    # A civil relationship is not a labor dispute: after failed mediation it goes to court.
    "civil_failed_litigated": (4, "judgment_performed"),
}


# Paths on which a statutory clock must run out: they need days to pass, so they are run where
# time is moved by hand (the in-process tests), not by the real-time demo.
TIMED_PATHS: dict[str, tuple[int, str]] = {
    # arbitration neither accepts nor refuses within 5 working days (art. 29): the worker sues
    "arbitration_silent_sued": (0, "judgment_performed"),
    # no award within 45 days (art. 43): the worker sues
    "award_overdue_sued": (0, "judgment_performed"),
}
ALL_PATHS = {**PATHS, **TIMED_PATHS}
# Paths on which mediation fails and the case goes to arbitration.
THROUGH_ARBITRATION = frozenset({p for p in ALL_PATHS if p.startswith("failed_")}
                                | {"arbitration_refused_closed", *TIMED_PATHS})


@dataclass(frozen=True)
class PlannedCase:
    claim: dict[str, Any]
    path: str
    hardship_shown: bool  # for the legal-aid means test

    @property
    def expected_outcome(self) -> str:
        return ALL_PATHS[self.path][1]

    @property
    def expected_aid_state(self) -> str:
        if not self.claim["legal_aid_requested"]:
            return "none"
        exempt = self.claim["migrant_worker"] and {"unpaid_wages", "work_injury"} & set(self.claim["claim_types"])
        return "granted" if exempt or self.hardship_shown else "refused"


def _pick(rng: random.Random, mix: list[tuple[str, int]] | dict[str, int]) -> str:
    items = list(mix.items()) if isinstance(mix, dict) else mix
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _id_number(rng: random.Random) -> str:
    body = "5101" + f"{rng.randint(1, 99):02d}" + f"{rng.randint(1965, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return with_check_character(body + f"{rng.randint(0, 999):03d}")


def planned_case(rng: random.Random) -> PlannedCase:
    industry = _pick(rng, INDUSTRY_MIX)
    new_form = industry in PLATFORMS
    claim_types = sorted({_pick(rng, CLAIM_MIX) for _ in range(rng.choice([1, 1, 1, 2]))})
    group = rng.random() < 0.08
    workers = rng.randint(10, 60) if group else 1
    per_worker = Decimal(rng.randint(1500, 30000)) if "work_injury" not in claim_types \
        else Decimal(rng.randint(20000, 150000))
    amount = (per_worker * workers).quantize(Decimal("1"))
    relationship = rng.choices(RELATIONSHIPS,
                               weights=[3, 5, 2] if new_form else [8, 1, 1])[0]
    station_ids = [s.station_id for s in stations()]
    claim = {
        "channel": rng.choices(CHANNELS,
                               weights=[55, 20, 12, 8, 5])[0],
        "worker": {"name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
                   "id_number": _id_number(rng), "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"},
        "migrant_worker": rng.random() < 0.6,
        "worker_count": workers,
        "employer": {
            # Hundreds of employers, so that a few (not most) face repeat claims.
            "name": rng.choice(["成都", "四川", "蜀"]) + rng.choice(EMPLOYER_NAMES)
            + rng.choice(EMPLOYER_TRADES) + "有限公司",
            "platform": rng.choice(PLATFORMS[industry]) if new_form else None,
            "intermediary": (rng.choice(["众包", "外包"]) + "服务商") if new_form and rng.random() < 0.5 else None,
        },
        "industry": industry,
        "relationship": relationship,
        "claim_types": claim_types,
        "amount_claimed": str(amount),
        "district": rng.choice(DISTRICTS),
        "legal_aid_requested": rng.random() < 0.25,
        "chosen_station_id": rng.choice(station_ids) if rng.random() < 0.15 else None,
        "description": "平台以罚款、扣款等方式克扣报酬，多次协商未果" if new_form else "拖欠工资，多次催讨未果",
        "evidence": [{"kind": "platform_record" if new_form else "pay_slip", "description": "收入记录截图"}],
        **sensitive_data_consent(),  # the worker agreed to the text shown now
    }
    path = _pick(rng, {name: weight for name, (weight, _) in PATHS.items()})
    if path == "civil_failed_litigated":
        claim["relationship"] = "civil"
    elif relationship == "civil" and path in THROUGH_ARBITRATION:
        path = "civil_failed_litigated"  # labor arbitration would not take it
    if path == "failed_award_enforced":
        # Only an award in effect is enforced; in real time that is a final one (art. 47): one
        # worker's wages under 12 months of the minimum wage.
        claim.update(worker_count=1, claim_types=["unpaid_wages"],
                     amount_claimed=str(min(amount, Decimal(20000))))
    return PlannedCase(claim=claim, path=path, hardship_shown=rng.random() < 0.7)


def planned_cases(count: int, seed: int) -> list[PlannedCase]:
    rng = random.Random(seed)
    return [planned_case(rng) for _ in range(count)]
