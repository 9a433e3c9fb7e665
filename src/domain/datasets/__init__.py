"""Datasets: column types and schemas, the row validator, the dataset entity.

Pure and deterministic: the same header, schema and rows always give the same findings, so
the rules are property-tested (tests/unit/datasets/test_dataset_validation.py).
"""

from domain.datasets.cells import (
    VALUE_SHOWN_MAX,
    ColumnType,
    encoding_problem,
    fits,
    is_empty,
    shown,
)
from domain.datasets.dataset import Dataset, DatasetStatus, dataset_object_key
from domain.datasets.export import neutralize
from domain.datasets.findings import (
    REPORT_MAX_FINDINGS,
    DatasetRow,
    Finding,
    Report,
    ReportBuilder,
    Rule,
)
from domain.datasets.inference import (
    INFER_THRESHOLD,
    TypeTally,
    header_findings,
    plan_columns,
)
from domain.datasets.schema import (
    COLUMN_NAME_MAX,
    NAME_MAX,
    UNIQUE_COLUMNS_MAX,
    Column,
    ColumnSpec,
    check_header,
    check_name,
    parse_schema,
)
from domain.datasets.validation import (
    DigestLog,
    Repeats,
    RepeatScan,
    RowValidator,
    validate_rows,
)

__all__ = [
    "COLUMN_NAME_MAX",
    "INFER_THRESHOLD",
    "NAME_MAX",
    "REPORT_MAX_FINDINGS",
    "UNIQUE_COLUMNS_MAX",
    "VALUE_SHOWN_MAX",
    "Column",
    "ColumnSpec",
    "ColumnType",
    "Dataset",
    "DatasetRow",
    "DatasetStatus",
    "DigestLog",
    "Finding",
    "RepeatScan",
    "Repeats",
    "Report",
    "ReportBuilder",
    "RowValidator",
    "Rule",
    "TypeTally",
    "check_header",
    "check_name",
    "dataset_object_key",
    "encoding_problem",
    "fits",
    "header_findings",
    "is_empty",
    "neutralize",
    "parse_schema",
    "plan_columns",
    "shown",
    "validate_rows",
]
