"""The HTTP API's OpenAPI document says what the code accepts, and the README leads to it."""

from pathlib import Path

import yaml

from disputes_shared.contract.payloads import Employer, Person
from disputes_shared.contract.spec import field_schema
from intake.api import ClaimSubmission, Evidence, LimitationDates

ROOT = Path(__file__).resolve().parents[2]
SPEC_TEXT = (ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8")
SPEC = yaml.safe_load(SPEC_TEXT)


def test_the_readme_links_to_the_openapi_document_and_keeps_no_copy_of_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/openapi.yaml)" in readme
    # A copy would drift from the document: no page repeats its paths.
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "operationId: fileClaim" not in page.read_text(encoding="utf-8"), page.name


def test_each_schema_in_the_document_has_the_fields_of_the_code():
    schemas = SPEC["components"]["schemas"]
    for name, schema_class in [("ClaimSubmission", ClaimSubmission), ("Person", Person),
                               ("Employer", Employer), ("Evidence", Evidence)]:
        code = schema_class()
        assert set(schemas[name]["properties"]) == set(code.fields), name
        assert set(schemas[name]["required"]) == {n for n, f in code.fields.items() if f.required}, name


LIMITS = ("enum", "pattern", "minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum",
          "format")


def test_each_field_in_the_document_has_the_limits_the_code_enforces():
    schemas = SPEC["components"]["schemas"]
    for name, schema_class in [("ClaimSubmission", ClaimSubmission), ("Person", Person),
                               ("Employer", Employer), ("Evidence", Evidence),
                               ("LimitationDates", LimitationDates)]:
        for field_name, field in schema_class().fields.items():
            written, enforced = schemas[name]["properties"][field_name], field_schema(field)
            if "$ref" in written or "oneOf" in written:
                continue  # a nested schema, compared on its own
            for key in LIMITS:
                assert written.get(key) == enforced.get(key), (name, field_name, key)
            if "items" in enforced and "$ref" not in written["items"]:
                for key in LIMITS:
                    assert written["items"].get(key) == enforced["items"].get(key), (name, field_name)


def test_the_document_is_openapi_3_1_with_the_claim_paths():
    assert SPEC["openapi"].startswith("3.1")
    assert set(SPEC["paths"]) == {"/v1/claims", "/v1/claims/{case_id}", "/v1/claims/{case_id}/evidence",
                                  "/v1/claims/{case_id}/evidence/{evidence_id}", "/health/live",
                                  "/health/ready", "/metrics"}
