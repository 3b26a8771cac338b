"""The worker's separate consent to the processing of their resident ID number (PIPL art. 29:
sensitive personal information is processed only with the person's separate consent).

A claim carries ``sensitive_data_consent: true`` and the version of the text the worker agreed
to; intake refuses a claim without them and keeps the version with the time it was given. The
text is published here, each version as it was shown (the portal shows it translated), so what
a worker agreed to can always be read back: a changed text is a new version, never an edit.
"""

from __future__ import annotations

SENSITIVE_DATA_CONSENT_TEXTS = {
    "1": "I separately consent to the processing of my resident ID number, which is sensitive "
         "personal information: it is used only to identify me to the agencies that handle my "
         "claim (mediation, legal aid, arbitration and the courts) and is kept no longer than "
         "my case needs.",
}
SENSITIVE_DATA_CONSENT_VERSION = "1"  # the text shown to workers now


def sensitive_data_consent(version: str = SENSITIVE_DATA_CONSENT_VERSION) -> dict[str, object]:
    """The consent fields of a claim whose worker agreed to ``version``'s text."""
    return {"sensitive_data_consent": True, "sensitive_data_consent_version": version}
