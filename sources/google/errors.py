"""What went wrong with Google: the HTTP status of an error, whether trying again can help, and the
French sentence that tells the coordinator or the group what to do."""

from __future__ import annotations


class CredentialsMissing(Exception):
    """No usable service account key; the message says what to do."""


def status_of(error: BaseException) -> int | None:
    """The HTTP status Google answered with (gspread's APIError, requests' HTTPError); None otherwise."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retryable(error: BaseException) -> bool:
    """True when the same request may succeed later: a quota (429), Google's own failure (5xx), or
    the network (no answer, a timeout). A refusal (403) or a missing file (404) stays what it is."""
    import requests

    status = status_of(error)
    if status is not None:
        return status == 429 or status >= 500
    return isinstance(error, (requests.ConnectionError, requests.Timeout))


def read_refused(status: int | None, key: str, account: str) -> str:
    """Why a workbook could not be read, for the report that names the workbook."""
    if status == 403:
        return f"accès refusé au classeur {key} : partagez-le (lecteur suffit) avec {account or _ACCOUNT}"
    if status == 404:
        return f"classeur Google introuvable (identifiant {key}) : vérifiez la colonne « Feuille » du classeur réseau"
    if status == 429:
        return f"quota de Google dépassé pour le classeur {key}, même après plusieurs essais : réessayez dans une minute"
    if status is None:
        return f"Google ne répond pas (classeur {key}) après plusieurs essais : réessayez plus tard"
    return f"Google a répondu par une erreur {status} pour le classeur {key}, même après plusieurs essais"


def write_refused(error: BaseException, account: str) -> str:
    """Why recueil could not write into a workbook (its `Contrôles` tab, its notes)."""
    status = status_of(error)
    if status == 403:
        return read_only(account)
    if status == 404:
        return "classeur introuvable : a-t-il été supprimé ou déplacé ?"
    if status == 429:
        return (
            "quota de Google dépassé, même après plusieurs essais : la prochaine passe réessaiera"
        )
    if status is None:
        what = getattr(error, "message", None) or type(error).__name__
        return f"Google ne répond pas ({what})"
    return f"Google a répondu par une erreur {status}, même après plusieurs essais"


def read_only(account: str) -> str:
    """What to do with a workbook shared read-only with the service account."""
    return f"classeur partagé en lecture seule : partagez-le en tant qu'éditeur avec {account or _ACCOUNT}"


def drive_refused(error: BaseException, account: str) -> str:
    """Why the published documents could not be copied into the Drive folder."""
    status = status_of(error)
    if status == 403:
        return f"dépôt dans Drive impossible : partagez le dossier en tant qu'éditeur avec {account or _ACCOUNT}"
    if status == 404:
        return "dépôt dans Drive impossible : dossier introuvable (vérifiez son identifiant)"
    return f"dépôt dans Drive impossible ({status or type(error).__name__})"


_ACCOUNT = "l'adresse du compte de service"
