"""argparse speaking French: usage, help headings, usage errors.

argparse has no French catalogue and looks its strings up through the module's own `_` and `ngettext`
at call time, so giving it French versions of the messages a user can meet is enough; a string not
listed here (an error in our own parser definition) stays in English.
"""

from __future__ import annotations

import argparse

MESSAGES = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "subcommands": "commandes",
    "%(heading)s:": "%(heading)s :",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version de recueil et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s : attention : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s : %(message)s",
    "the following arguments are required: %s": "à indiquer : %s",
    "one of the arguments %s is required": "l'une de ces options est à indiquer : %s",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "« %(value)s » inconnu (au choix : %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur incorrecte : « %(value)s »",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "impossible avec l'option %s",
    "ignored explicit argument %r": "valeur inattendue : %r",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}
PLURALS = {
    "expected %s argument": ("%s valeur attendue", "%s valeurs attendues"),
}


def _french(message: str) -> str:
    return MESSAGES.get(message, message)


def _french_plural(singular: str, plural: str, count: int) -> str:
    if singular in PLURALS:
        one, many = PLURALS[singular]
        return one if count <= 1 else many
    return singular if count == 1 else plural


def install() -> None:
    """Make every parser built from now on speak French."""
    argparse._ = _french  # type: ignore[attr-defined]
    argparse.ngettext = _french_plural  # type: ignore[attr-defined]


class FrenchHelpFormatter(argparse.HelpFormatter):
    """Help text wrapped without ever starting a line with « : », « ; », « ? », « ! » or « »."""

    @staticmethod
    def _bind(text: str) -> str:
        for mark in (":", ";", "?", "!", "»"):
            text = text.replace(f" {mark}", f"\u00a0{mark}")
        return text.replace("« ", "«\u00a0")

    def _split_lines(self, text: str, width: int) -> list[str]:
        return super()._split_lines(self._bind(text), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return super()._fill_text(self._bind(text), width, indent)


class FrenchParser(argparse.ArgumentParser):
    """A parser, and subcommand parsers, in French, whose help follows French spacing."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("formatter_class", FrenchHelpFormatter)
        super().__init__(*args, **kwargs)
