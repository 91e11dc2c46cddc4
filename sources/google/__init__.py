"""Google Sheets and Drive, the only code that talks to Google, split by job:

- `auth`: the service account key and the paced, retrying HTTP client (`connect`);
- `ids`: what a `Feuille` cell names, and the address that opens a cell;
- `errors`: an error's HTTP status, whether to try again, and the French sentence saying what to do;
- `read`: workbooks pulled into `Workbook`s, unchanged ones from their snapshot (`GoogleSource`);
- `drive`: the one listing of modified times, a folder's spreadsheets, the copy of the documents;
- `write`: a new workbook, and the requests that write recueil's remarks into one.

Reading uses read-only scopes; writing uses the read/write scopes, asked for only by the commands
that write. Nothing here imports gspread or requests until a request is made.
"""

from sources.google.auth import GoogleSettings, SlidingWindow, connect, credentials_file
from sources.google.drive import list_folder, upload_files, visible_spreadsheets
from sources.google.errors import CredentialsMissing, retryable, status_of
from sources.google.ids import cell_address, is_google_reference, spreadsheet_id
from sources.google.read import GoogleSource

__all__ = [
    "CredentialsMissing",
    "GoogleSettings",
    "GoogleSource",
    "SlidingWindow",
    "cell_address",
    "connect",
    "credentials_file",
    "is_google_reference",
    "list_folder",
    "retryable",
    "spreadsheet_id",
    "status_of",
    "upload_files",
    "visible_spreadsheets",
]
