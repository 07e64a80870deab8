"""The offline store: a Parquet lake partitioned by event date and type, typed per type.

`write_rows` (files.py) writes a flush, `read_events` (reading.py) reads with the filters
pushed down, `compact` and `expire` (maintenance.py) keep it to one exact file per partition
and within its retention; the columns of each type come from the contracts (columns.py).
"""

from features.lake.columns import ENVELOPE, columns_of, schema_of
from features.lake.files import lake_row, typed_table, write_rows
from features.lake.maintenance import CompactionReport, compact, expire, maintain
from features.lake.reading import read_events, read_table, records

__all__ = ["ENVELOPE", "CompactionReport", "columns_of", "compact", "expire", "lake_row",
           "maintain", "read_events", "read_table", "records", "schema_of", "typed_table",
           "write_rows"]
