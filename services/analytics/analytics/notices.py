"""风险提示函: the risk notice a centre sends an employer or platform company after a warning."""

from __future__ import annotations

from typing import Any

RULE_NAMES = {
    "group_dispute": "群体性劳动争议苗头 (a group dispute forming)",
    "repeat_employer": "重复欠薪 (wage arrears claimed again)",
    "related_cases": "关联案件 (related cases in arbitration and the courts)",
    "spike": "案件数量异常上升 (claims rising beyond their seasonal level)",
}


def risk_notice(warning: dict[str, Any]) -> str:
    """The notice as plain text, ready for the centre to address and sign."""
    figures = "\n".join(f"  {name}: {value:g}" if isinstance(value, float) else f"  {name}: {value}"
                        for name, value in warning["figures"].items())
    return (
        "劳动争议风险提示函 (Risk notice)\n\n"
        "致 (To): ____________________ "
        f"(ref {warning['subject']})\n\n"
        f"经数据研判，{warning['raised_at'][:10]} 发现：{RULE_NAMES[warning['rule']]}。\n"
        f"{warning['explanation']}.\n\n"
        f"依据的数据 (the figures):\n{figures}\n"
        f"  cases: {warning['cases']}\n\n"
        "请贵单位及时核查劳动用工及工资支付情况，依法妥善化解矛盾，并于收到本函之日起十五日内书面反馈。\n"
        "(Please review your employment and wage payments, settle the claims lawfully, and reply in "
        "writing within 15 days of receiving this notice.)\n\n"
        f"预警编号 (warning): {warning['event_id']}\n"
        "劳动人事争议多元化解联处中心 ____________________\n"
    )
