"""Bulk onboarding: the CSV format, and every check a row passes before anything is sent.

The one place that reads an uploaded device CSV. `check_file` is a dry run: it only
reads the file, the organizations (the user's and the known ones) and the cached fleet's
serial numbers; it never calls the control API. Its `FileCheck` is what the upload page reports and
what `operations.imports` stores as a job.

Rules (each row):
- columns are the POST fields of the contract (`devices.forms.DEVICE_FIELDS`); any
  other column is named and blocks the whole file (a typo would silently drop data),
  except "error", the column the dashboard's own rows to fix add (`ERROR_COLUMN`): it is
  ignored, with a note, so that file uploads again as it was downloaded;
- at most MAX_ROWS rows: a bigger file is refused whole, no row of it checked or kept;
- `name`, `serial_number`, `type`, `organization_id` are required (the contract's
  assumed required fields); a file without one of these columns blocks the whole file and
  every row says so: no row of it is valid;
- the file is comma-separated. ASSUMPTION: a header that is one cell holding semicolons or
  tabs (Excel saves "CSV" with semicolons in many European locales) is refused in words
  rather than read with a guessed separator: the template is comma-separated, and a guess
  would also split a description that holds a semicolon;
- `type`, `organization_id` and `update_frequency` are whole numbers from 1 to
  `common.integers.ID_MAX` (ASCII digits);
  `latitude` -90..90 and `longitude` -180..180 are decimals of at most 6 places, both
  given or neither;
- the organization must be one where the user may create devices (tenancy
  DEVICE_CREATE): a tenant's row for another organization fails with a message;
  and one the dashboard knows (an `Organization`): the upstream would refuse any other;
- a serial number may appear once in the file and must not be in the cached fleet
  (exact, case-sensitive match, as the upstream's uniqueness is assumed to be).
  ASSUMPTION: the cache can lag a full poll behind; a serial created meanwhile is
  still refused by the control API itself (400 on `serial_number`), and that row
  then fails with the upstream's words.
- empty cells are left out of the POST (the upstream's defaults apply);
- no cell may hold a line break or a tab, and the file no NUL character.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import redis

from accounts import tenancy
from accounts.models import Organization
from common import integers
from devices import configured
from devices.forms import DEVICE_FIELDS

COLUMNS = DEVICE_FIELDS
REQUIRED = ("name", "serial_number", "type", "organization_id")
WHOLE_NUMBERS = ("type", "organization_id", "update_frequency")
COORDINATES = {"latitude": Decimal(90), "longitude": Decimal(180)}
COORDINATE_PLACES = 6  # as the device form (and the upstream) takes them
MAX_ROWS = 5000  # a bigger onboarding is split into several files
MAX_BYTES = 5 * 1024 * 1024
MAX_TEXT = 255  # the contract's text fields (the form's max_length)
OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs"}
# The column the rows to fix (operations.imports.rows_to_fix_csv) add after the uploaded
# ones. ASSUMPTION: no contract field is ever named "error", so ignoring it drops no data.
ERROR_COLUMN = "error"

TEMPLATE_EXAMPLE = {
    "name": "lisbon-cpe-0001",
    "serial_number": "ZQ24000001",
    "serial_number_alt": "",
    "customer_id": "CUST-1001",
    "type": "12",
    "organization_id": "5",
    "location_name": "Lisbon",
    "latitude": "38.722252",
    "longitude": "-9.139337",
    "description": "Shop floor router",
    "username": "admin",
    "password": "change-me",
    "update_frequency": "300",
}


def template_csv() -> str:
    """The downloadable template: the header and one example row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue()


@dataclass
class RowCheck:
    line: int  # in the file, the header being line 1
    raw: dict[str, str]  # the cells as uploaded, the password left out
    fields: dict  # what the POST sends, the password left out
    password: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def serial_number(self) -> str:
        return self.raw.get("serial_number", "")

    @property
    def organization_id(self) -> int | None:
        return self.fields.get("organization_id")


@dataclass
class FileCheck:
    columns: list[str] = field(default_factory=list)
    rows: list[RowCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file cannot be imported as is
    notes: list[str] = field(default_factory=list)  # checks that could not be made

    @property
    def valid_rows(self) -> list[RowCheck]:
        return [r for r in self.rows if r.valid]

    @property
    def startable(self) -> bool:
        return not self.problems and bool(self.valid_rows)


SerialLookup = Callable[[Iterable[str]], dict[str, int]]


def check_file(data: bytes, *, user, fleet_serials: SerialLookup | None = None) -> FileCheck:
    """Read and check an uploaded CSV. Sends nothing upstream."""
    result = FileCheck()
    if len(data) > MAX_BYTES:
        result.problems.append(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append("The file is not UTF-8 text: save it as CSV (UTF-8).")
        return result
    if "\x00" in text:  # no CSV text holds one, and the database refuses to keep it
        line = text.count("\n", 0, text.index("\x00")) + 1
        result.problems.append(
            f"Line {line} holds a NUL character, which CSV text never does: save the file "
            "as CSV (UTF-8)."
        )
        return result
    try:
        records = _records(text)
    except ValueError as error:
        result.problems.append(str(error))
        return result
    header = records[0][1] if records else []
    if not any(h.strip() for h in header):
        result.problems.append("The file is empty: the first line must be the header.")
        return result
    separator = _other_separator(header)
    if separator:
        result.problems.append(
            f"The columns are separated by {separator}: the file must be comma-separated. "
            "Save it as CSV (UTF-8, comma-delimited), as the template."
        )
        return result
    result.columns = [h.strip() for h in header]
    rows = [(line, cells) for line, cells in records[1:] if any(c.strip() for c in cells)]
    if len(rows) > MAX_ROWS:
        # Refused whole, no row checked or kept: a part of it must not read as ready to go.
        result.problems.append(
            f"{len(rows):,} rows: at most {MAX_ROWS:,} per file, split it into several files."
        )
        return result
    _check_header(result)
    scope = tenancy.scope_for(user, tenancy.DEVICE_CREATE)
    known = frozenset(Organization.objects.values_list("upstream_id", flat=True))
    result.rows = [
        check_row(line, result.columns, cells, scope=scope, known=known) for line, cells in rows
    ]
    if not result.rows and not result.problems:
        result.problems.append("The file has a header but no rows.")
    _check_duplicates(result.rows)
    _check_fleet(result, fleet_serials or cached_serials, show_ids=scope.all)
    return result


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Every record (blank ones too) with the line it starts on, the header being line 1:
    a quoted cell may hold line breaks, and `reader.line_num` is where a record ends.
    Raises ValueError, in words, for text that is not valid CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"Line {start}: not valid CSV ({error}).") from error
    return records


def _other_separator(header: list[str]) -> str:
    """In words, the separator of a header that is one cell holding a semicolon or a tab
    (a file saved with another separator than the comma); "" otherwise."""
    if len(header) != 1:
        return ""
    return next((words for sep, words in OTHER_SEPARATORS.items() if sep in header[0]), "")


def _check_header(result: FileCheck) -> None:
    unnamed = [str(i) for i, c in enumerate(result.columns, start=1) if not c]
    if unnamed:  # a spreadsheet leaves them after a column once used: said by position
        one = len(unnamed) == 1
        which, it, its, is_ = ("Column", "it", "its", "it is") if one else (
            "Columns", "them", "their", "they are")  # fmt: skip
        result.problems.append(
            f"{which} {', '.join(unnamed)} {'has' if one else 'have'} no name in the header "
            f"line: name {it}, or delete {it} (with {its} cells) if {is_} empty."
        )
    if ERROR_COLUMN in result.columns:
        result.notes.append(
            f"The {ERROR_COLUMN!r} column (why each row had to be fixed, added by the "
            "dashboard) is ignored."
        )
    unknown = [c for c in result.columns if c and c not in (*COLUMNS, ERROR_COLUMN)]
    if unknown:
        result.problems.append(
            "Unknown column" + ("s" if len(unknown) > 1 else "") + ": "
            + ", ".join(repr(c) for c in unknown)
            + f". The columns are: {', '.join(COLUMNS)}."
        )  # fmt: skip
    missing = [c for c in REQUIRED if c not in result.columns]
    if missing:
        result.problems.append(f"Missing required column(s): {', '.join(missing)}.")
    repeated = sorted({c for c in result.columns if c and result.columns.count(c) > 1})
    if repeated:
        result.problems.append(f"Column(s) given twice: {', '.join(repeated)}.")


def check_row(
    line: int, columns: list[str], cells: list[str], *, scope, known: frozenset[int]
) -> RowCheck:
    """One row's own checks (not the duplicate checks, which need every row); `known` holds
    the upstream ids of the organizations the dashboard knows."""
    errors: list[str] = []
    if len(cells) > len(columns):
        errors.append(f"{len(cells)} cells but {len(columns)} columns: check the commas.")
    values = {
        name: cells[i].strip() if i < len(cells) else ""
        for i, name in enumerate(columns)
        if name in COLUMNS
    }
    password = values.pop("password", "")
    row = RowCheck(line=line, raw=dict(values), fields={}, password=password, errors=errors)
    for name, value in values.items():
        if not value:
            if name in REQUIRED:
                errors.append(f"{name}: required.")
            continue
        if any(ch in value for ch in "\t\r\n"):
            errors.append(f"{name}: must not contain a line break or a tab.")
        elif name in WHOLE_NUMBERS:
            try:
                row.fields[name] = integers.parse_int(value, minimum=1, maximum=integers.ID_MAX)
            except ValueError as error:
                errors.append(f"{name}: {error}.")
        elif name in COORDINATES:
            row.fields[name] = _coordinate(name, value, errors)
        elif len(value) > MAX_TEXT:
            errors.append(f"{name}: at most {MAX_TEXT} characters.")
        else:
            row.fields[name] = value
    given = [name for name in COORDINATES if values.get(name)]
    if len(given) == 1 and row.fields.get(given[0]) is not None:  # a wrong one is said already
        missing = next(name for name in COORDINATES if name not in given)
        errors.append(f"{missing}: required with {given[0]}: a location needs both, or neither.")
    if len(password) > MAX_TEXT:
        errors.append(f"password: at most {MAX_TEXT} characters.")
    # A required column the file lacks is a value every row lacks (the file's problems say
    # which columns): such a row is never valid, nor counted as such.
    errors.extend(f"{name}: required; the file has no {name} column." for name in REQUIRED
                  if name not in values)  # fmt: skip
    org_id = row.fields.get("organization_id")
    if org_id is not None and not scope.allows(org_id):
        errors.append(
            f"organization_id: you may not create devices in organization {org_id}; "
            "use one of your organizations."
        )
    elif org_id is not None and org_id not in known:
        # Only all-organization staff get here (a member's organizations are all known).
        errors.append(f"organization_id: organization {org_id} is not known to the dashboard; "
                      "check the id.")  # fmt: skip
    row.fields = {k: v for k, v in row.fields.items() if v is not None}
    return row


def _coordinate(name: str, value: str, errors: list[str]) -> str | None:
    limit = COORDINATES[name]
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.append(f"{name}: must be a decimal number, not {value!r}.")
        return None
    if not -limit <= number <= limit:
        errors.append(f"{name}: must be between -{limit} and {limit}, not {value}.")
        return None
    if number.as_tuple().exponent < -COORDINATE_PLACES:
        # Also keeps "1e-99999999" from being written out as that many digits.
        errors.append(f"{name}: at most {COORDINATE_PLACES} decimal places, not {value!r}.")
        return None
    return f"{number:f}"  # as a decimal string, as the upstream writes coordinates


def _check_duplicates(rows: list[RowCheck]) -> None:
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.serial_number:
            lines[row.serial_number].append(row.line)
    for row in rows:
        seen = lines.get(row.serial_number, [])
        if len(seen) > 1:
            # Every copy is refused: which one is right is the uploader's call.
            others = ", ".join(str(n) for n in seen if n != row.line)
            row.errors.append(f"serial_number: {row.serial_number} is also on line {others}.")


class FleetNotFilled(Exception):
    """No poll has filled the fleet cache yet: no serial can be checked against it."""


def _check_fleet(result: FileCheck, fleet_serials: SerialLookup, *, show_ids: bool) -> None:
    """Refuse rows whose serial the fleet has. Only all-organization staff are told the
    device's id: for anyone else it may be another organization's device."""
    wanted = {r.serial_number for r in result.rows if r.valid}
    if not wanted:
        return
    try:
        known = fleet_serials(wanted)
    except (redis.RedisError, FleetNotFilled) as error:
        why = "is still being filled" if isinstance(error, FleetNotFilled) else "is unreachable"
        result.notes.append(
            f"The fleet cache {why}: serial numbers were not checked against the "
            "fleet. The control API refuses a serial it already has."
        )
        return
    for row in result.rows:
        device_id = known.get(row.serial_number)
        if row.valid and device_id is not None:
            where = f"the fleet (device {device_id})" if show_ids else "the inventory"
            row.errors.append(f"serial_number: {row.serial_number} is already in {where}.")


def cached_serials(serials: Iterable[str]) -> dict[str, int]:
    """serial -> device id for those of `serials` in the cached fleet (every organization:
    a serial is unique across the whole inventory). One lookup in the read model's serial
    index, whatever the file's size. Raises redis.RedisError, or FleetNotFilled before the
    first poll."""
    model = configured.read_model()
    if model.snapshot_info() is None:
        raise FleetNotFilled
    return model.find_serials(serials)
